"""scripts/build_history.py: RTE's annual archives (40 columns) -> the embedded history's
five-column zips, reproducibly, from files or downloaded from RTE_BASE_URL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from consumption.domain import Nature
from consumption.services.startup import build_or_update
from tests.eco2mix_files import days, eco2mix_lines, eco2mix_text, expected_points, write_zip
from tests.helpers import stored_rows
from tests.rte_server import fake_rte

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_history.py"
# Both of 2023's clock changes, in an annual definitive file's shape.
SPRING, AUTUMN = days(dt.date(2023, 3, 25), dt.date(2023, 3, 27)), days(dt.date(2023, 10, 28), dt.date(2023, 10, 30))


def rte_annual(path: Path, year_days: list[dt.date], nature: str = "definitive") -> Path:
    """An RTE annual archive: today's 40 columns, consumption at :00 and :30 only."""
    text = eco2mix_text(eco2mix_lines(year_days, nature=nature, half_hours_only=True))
    return write_zip(path, {path.name.replace(".zip", ".xls"): text})


def build(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_an_annual_archive_becomes_five_columns_in_rtes_layout(tmp_path, store, database_path):
    source = rte_annual(tmp_path / "in" / "eCO2mix_RTE_Annuel-Definitif_2023.zip", SPRING + AUTUMN)
    done = build("--out", tmp_path / "history", source)
    assert done.returncode == 0, done.stderr
    built = tmp_path / "history" / "eCO2mix_France_consumption_2023_definitive.zip"
    assert f"{built}: 2023, definitive, 286 half hours" in done.stdout  # 46 + 48 × 5
    with zipfile.ZipFile(built) as archive:
        (member,) = archive.namelist()
        lines = archive.read(member).decode("cp1252").split("\n")
    assert member == "eCO2mix_France_consumption_2023_definitive.xls"
    assert lines[0] == "Périmètre\tNature\tDate\tHeures\tConsommation\t"
    data = lines[1:-2]
    assert len(data) == 96 * 6  # every line kept, the impossible spring-forward ones included
    assert all(line.count("\t") == 5 and line.endswith("\t") for line in data)
    assert (
        data[0]
        == "France\tDonnées définitives\t2023-03-25\t00:00\t" + f"{40_000 + (SPRING[0].toordinal() % 500) * 17}\t"
    )
    assert lines[-2].startswith("RTE ne pourra être tenu responsable")

    report = build_or_update(store, tmp_path / "history", tmp_path / "no-data-dir")
    assert report.skipped == []
    expected = expected_points(SPRING + AUTUMN)
    assert stored_rows(database_path) == [(t, v, Nature.DEFINITIVE) for t, v in sorted(expected.items())]


def test_the_same_input_gives_byte_identical_zips(tmp_path):
    source = rte_annual(tmp_path / "eCO2mix_RTE_Annuel-Definitif_2023.zip", SPRING)
    assert build("--out", tmp_path / "a", source).returncode == 0
    os.utime(source, (0, 0))  # another file time, another run time: the same bytes
    assert build("--out", tmp_path / "b", source).returncode == 0
    name = "eCO2mix_France_consumption_2023_definitive.zip"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_downloads_from_rte_base_url_and_skips_a_year_not_published(tmp_path):
    source = rte_annual(tmp_path / "eCO2mix_RTE_Annuel-Definitif_2023.zip", SPRING)
    assert build("--out", tmp_path / "from-file", source).returncode == 0
    with fake_rte() as rte:
        rte.files[source.name] = source.read_bytes()
        done = build("--out", tmp_path / "downloaded", "--download", "2023", "2024", env={"RTE_BASE_URL": rte.base_url})
    assert done.returncode == 0, done.stderr
    assert "eCO2mix_RTE_Annuel-Definitif_2024.zip: not published yet, skipped" in done.stdout
    name = "eCO2mix_France_consumption_2023_definitive.zip"
    assert (tmp_path / "downloaded" / name).read_bytes() == (tmp_path / "from-file" / name).read_bytes()
    assert [p.name for p in (tmp_path / "downloaded").iterdir()] == [name]


def test_a_definitive_year_replaces_the_consolidated_file_of_that_year(tmp_path):
    out = tmp_path / "history"
    consolidated = rte_annual(tmp_path / "c" / "eCO2mix_RTE_En-cours-Consolide.zip", SPRING, "consolidated")
    assert build("--out", out, consolidated).returncode == 0
    assert [p.name for p in out.iterdir()] == ["eCO2mix_France_consumption_2023_consolidated.zip"]
    definitive = rte_annual(tmp_path / "d" / "eCO2mix_RTE_Annuel-Definitif_2023.zip", SPRING)
    assert build("--out", out, definitive).returncode == 0
    assert [p.name for p in out.iterdir()] == ["eCO2mix_France_consumption_2023_definitive.zip"]


def test_a_file_that_is_not_one_years_ecomix_file_changes_nothing(tmp_path):
    two_years = rte_annual(tmp_path / "two.zip", days(dt.date(2022, 12, 31), dt.date(2023, 1, 1)))
    done = build("--out", tmp_path / "history", two_years)
    assert done.returncode == 1
    assert "expected one year and one nature, found [2022, 2023]" in done.stderr
    assert not (tmp_path / "history").exists() or not any((tmp_path / "history").iterdir())


def test_the_shipped_history_is_what_the_script_makes_of_it(tmp_path):
    shipped = ROOT / "data" / "history" / "eCO2mix_France_consumption_2016_definitive.zip"
    assert build("--out", tmp_path, shipped).returncode == 0
    with zipfile.ZipFile(shipped) as before, zipfile.ZipFile(tmp_path / shipped.name) as after:
        assert after.namelist() == before.namelist()
        assert after.read(after.namelist()[0]) == before.read(before.namelist()[0])
