"""`consumption import` of a folder as a user holds it: several layouts side by side, and its messages."""

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

from consumption.cli import main
from consumption.domain import Nature
from consumption.services.startup import build_or_update
from tests.eco2mix_files import (
    days,
    eco2mix_lines,
    eco2mix_text,
    expected_points,
    in_runs,
    odre_csv,
    odre_expected,
    odre_json,
    odre_rows,
    resaved,
    write_eco2mix,
)
from tests.helpers import stored_rows

JANUARY = days(dt.date(2024, 1, 1), dt.date(2024, 1, 3))
FEBRUARY = days(dt.date(2024, 2, 1), dt.date(2024, 2, 3))
SPRING = days(dt.date(2024, 3, 30), dt.date(2024, 4, 1))
AUTUMN = days(dt.date(2024, 10, 26), dt.date(2024, 10, 28))
DECEMBER = days(dt.date(2024, 12, 1), dt.date(2024, 12, 2))


def imported(database_path: Path) -> dict[int, tuple[int, int]]:
    return {t: (mw, nature) for t, mw, nature in stored_rows(database_path)}


def with_nature(points: dict[int, int], nature: Nature) -> dict[int, tuple[int, int]]:
    return {t: (mw, int(nature)) for t, mw in points.items()}


def mixed_folder(folder: Path) -> dict[int, tuple[int, int]]:
    """One file per layout, each under a name that does not say what it is; what they hold."""
    folder.mkdir(parents=True)
    write_eco2mix(folder / "rte.xls", eco2mix_lines(JANUARY, nature="definitive"))
    (folder / "resaved.csv").write_bytes(resaved(eco2mix_text(eco2mix_lines(FEBRUARY, nature="consolidated"))))
    spring = odre_rows(SPRING, nature="real-time")
    (folder / "eco2mix-national-tr.csv").write_bytes(odre_csv(in_runs(spring)))
    autumn = odre_rows(AUTUMN, nature="definitive")
    (folder / "odre-fields.csv").write_bytes(odre_csv(autumn, labels=False, bom=False))
    december = odre_rows(DECEMBER, nature="consolidated")
    with zipfile.ZipFile(folder / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eco2mix-national-cons-def.json", odre_json(december, string_numbers=True))
    (folder / "readme.txt").write_text("not data: left alone in a folder, by its name")
    return {
        **with_nature(expected_points(JANUARY), Nature.DEFINITIVE),
        **with_nature(expected_points(FEBRUARY), Nature.CONSOLIDATED),
        **with_nature(odre_expected(spring), Nature.REAL_TIME),
        **with_nature(odre_expected(autumn), Nature.DEFINITIVE),
        **with_nature(odre_expected(december), Nature.CONSOLIDATED),
    }


def test_a_folder_mixing_every_layout_imports_value_by_value(tmp_path, database_path, capsys):
    expected = mixed_folder(tmp_path / "data")
    assert main(["import", str(tmp_path / "data"), "--database", str(database_path)]) == 0
    out = capsys.readouterr().out
    assert imported(database_path) == expected
    assert f"total: 5 files, {len(expected)} half-hours read, {len(expected)} stored or updated" in out


def test_start_up_imports_every_layout_from_data_dir(tmp_path, store, database_path):
    expected = mixed_folder(tmp_path / "data")
    report = build_or_update(store, tmp_path / "no-history", tmp_path / "data")
    assert report.built and report.skipped == []
    assert len(report.imported) == 5
    assert imported(database_path) == expected


def test_a_file_named_on_its_own_is_read_whatever_its_name(tmp_path, database_path):
    rows = odre_rows(JANUARY)
    path, copy, archive = tmp_path / "download (1)", tmp_path / "export.txt", tmp_path / "archive"
    path.write_bytes(odre_json(rows))
    copy.write_bytes(odre_csv(rows))
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as opened:  # a zip, without its suffix
        opened.writestr("tr.xls", eco2mix_text(eco2mix_lines(FEBRUARY)).encode("cp1252"))
    assert main(["import", str(path), str(copy), str(archive), "--database", str(database_path)]) == 0
    assert imported(database_path) == {
        **with_nature(odre_expected(rows), Nature.CONSOLIDATED),
        **with_nature(expected_points(FEBRUARY), Nature.REAL_TIME),
    }


def test_a_definitive_odre_export_replaces_rtes_real_time_file(tmp_path, database_path):
    rte = write_eco2mix(tmp_path / "tr.xls", eco2mix_lines(JANUARY, lambda day, minutes: 30_000 + minutes))
    rows = odre_rows(JANUARY, nature="definitive")
    odre = tmp_path / "def.json"
    odre.write_bytes(odre_json(rows))
    assert main(["import", str(rte), str(odre), "--database", str(database_path)]) == 0
    assert imported(database_path) == with_nature(odre_expected(rows), Nature.DEFINITIVE)


def bad_folder(folder: Path) -> None:
    write_eco2mix(folder / "1-good.xls", eco2mix_lines(JANUARY))
    (folder / "2-bad.csv").write_bytes(odre_csv(odre_rows(FEBRUARY, perimeter="Bretagne")))


def test_a_folder_with_one_bad_file_says_what_would_have_been_imported(tmp_path, database_path, capsys):
    write_eco2mix(tmp_path / "old.xls", eco2mix_lines([dt.date(2023, 6, 1)]))
    assert main(["import", str(tmp_path / "old.xls"), "--database", str(database_path)]) == 0
    before = stored_rows(database_path)
    capsys.readouterr()
    bad_folder(tmp_path / "run")
    assert main(["import", str(tmp_path / "run"), "--database", str(database_path)]) == 1
    out, err = capsys.readouterr()
    assert "stored or updated" not in out
    assert "1-good.xls: France, real-time, 2024-01-01 00:00 → 2024-01-03 23:30 Paris time, 144 half-hours read" in out
    assert "2-bad.csv, line 2: perimeter 'Bretagne' is not 'France'" in err
    assert (
        f"nothing was imported: the 1 file read before would have stored or updated 144 half-hours; "
        f"{database_path} is unchanged" in err
    )
    assert stored_rows(database_path) == before


def test_a_failed_import_into_a_new_database_leaves_no_file(tmp_path, capsys):
    bad_folder(tmp_path / "run")
    database_path = tmp_path / "new" / "consumption.sqlite3"
    database_path.parent.mkdir()
    assert main(["import", str(tmp_path / "run"), "--database", str(database_path)]) == 1
    err = capsys.readouterr().err
    assert f"no database was created at {database_path}" in err
    assert "is unchanged" not in err
    assert list(database_path.parent.iterdir()) == []


def test_a_failed_import_into_new_folders_leaves_no_folder(tmp_path, capsys):
    database_path = tmp_path / "new" / "deeper" / "consumption.sqlite3"
    assert main(["import", str(tmp_path / "nowhere"), "--database", str(database_path)]) == 1
    assert "no database was created" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_txt_files_with_an_eco2mix_header_are_read_and_a_readme_beside_data_is_not(tmp_path, database_path):
    rows = odre_rows(JANUARY)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "export.txt").write_bytes(odre_csv(rows))
    (folder / "readme.txt").write_text("Not data: where these files come from.")
    with zipfile.ZipFile(folder / "rte.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("LISEZMOI.txt", "RTE ne pourra être tenu responsable…".encode("cp1252"))
        archive.writestr("tr.txt", eco2mix_text(eco2mix_lines(FEBRUARY)).encode("cp1252"))
    assert main(["import", str(folder), "--database", str(database_path)]) == 0
    assert imported(database_path) == {
        **with_nature(odre_expected(rows), Nature.CONSOLIDATED),
        **with_nature(expected_points(FEBRUARY), Nature.REAL_TIME),
    }


def test_consumption_import_loads_neither_the_web_stack_nor_the_download_client(tmp_path):
    path = write_eco2mix(tmp_path / "tr.xls", eco2mix_lines(JANUARY))
    argv = ["import", str(path), "--database", str(tmp_path / "db.sqlite3")]
    program = (
        "import sys\n"
        "from consumption.cli import main\n"
        f"assert main({argv!r}) == 0\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    loaded = result.stdout.split()
    assert "consumption.storage.repository" in loaded
    # Settings are read with Starlette's Config, a module of its own: no more of Starlette.
    web = [m for m in loaded if m.partition(".")[0] in ("uvicorn", "httpx", "starlette") and m != "starlette.config"]
    assert web == ["starlette"]
