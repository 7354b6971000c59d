"""Importing files into SQLite: sources, transactions, precedence, the CLI and the SQL script."""

import datetime as dt
import logging
import shutil
import sqlite3
import statistics
import subprocess
import zipfile
from pathlib import Path

import pytest

from consumption.cli import main
from consumption.domain import Nature
from consumption.eco2mix.parser import Eco2mixError
from consumption.services.importing import import_paths
from consumption.storage.database import connect
from tests.eco2mix_files import (
    days,
    default_value,
    eco2mix_lines,
    eco2mix_text,
    expected_points,
    paris_instant,
    write_eco2mix,
    write_zip,
)
from tests.helpers import stored_rows

JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))


def imported(database_path: Path) -> dict[int, int]:
    return {t: mw for t, mw, _ in stored_rows(database_path)}


def test_import_a_plain_file(tmp_path, store, database_path):
    path = write_eco2mix(tmp_path / "any name.xls", eco2mix_lines(JANUARY))
    report = import_paths([path], store)
    assert imported(database_path) == expected_points(JANUARY)
    assert report.half_hours == report.changed == 3 * 48


def test_import_csv_and_zip_archives_holding_several_files(tmp_path, store, database_path):
    first, second, third = ([d] for d in JANUARY)
    write_eco2mix(tmp_path / "in" / "one.csv", eco2mix_lines(first))
    write_zip(
        tmp_path / "in" / "nested" / "archive.ZIP",
        {
            "two.xls": eco2mix_text(eco2mix_lines(second)),
            "folder/three.xls": eco2mix_text(eco2mix_lines(third)),
            "readme.txt": "not éCO2mix",
        },
    )
    (tmp_path / "in" / "notes.txt").write_text("ignored in a folder")
    report = import_paths([tmp_path / "in"], store)
    assert len(report.files) == 3
    assert imported(database_path) == expected_points(JANUARY)


def test_a_zip_holding_no_eco2mix_file_is_refused(tmp_path, store):
    path = write_zip(tmp_path / "empty.zip", {"readme.txt": "nothing"})
    with pytest.raises(Eco2mixError, match="holds no éCO2mix file"):
        import_paths([path], store)
    # RTE's notice in French: not data, so the archive holds none, rather than a header error.
    path = write_zip(tmp_path / "notice.zip", {"LISEZMOI.txt": "Données éCO2mix\tà lire\r\n"})
    with pytest.raises(Eco2mixError, match=r"notice.zip: the archive holds no éCO2mix file"):
        import_paths([path], store)


def test_a_truncated_zip_is_refused(tmp_path, store):
    good = write_zip(tmp_path / "good.zip", {"f.xls": eco2mix_text(eco2mix_lines(JANUARY))})
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(Eco2mixError, match="broken.zip"):
        import_paths([broken], store)


def test_a_missing_path_or_unknown_file_type_is_refused(tmp_path, store):
    with pytest.raises(Eco2mixError, match="no such file"):
        import_paths([tmp_path / "nowhere"], store)
    # A file named on its own is read whatever its name, and refused by its content.
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(Eco2mixError, match=r"data.json, record 1: not an array of records; expected ODRÉ's JSON"):
        import_paths([tmp_path / "data.json"], store)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n")
    with pytest.raises(Eco2mixError, match=r"notes.pdf, line 1: not an éCO2mix file"):
        import_paths([tmp_path / "notes.pdf"], store)


def test_a_header_without_data_imports_nothing_with_a_warning(tmp_path, store, database_path, caplog):
    path = write_eco2mix(tmp_path / "header-only.xls", [])
    with caplog.at_level(logging.WARNING):
        report = import_paths([path], store)
    assert report.half_hours == 0
    assert stored_rows(database_path) == []
    assert "header-only.xls" in caplog.text


def test_reimporting_the_same_files_changes_nothing(tmp_path, store, database_path):
    path = write_eco2mix(tmp_path / "f.xls", eco2mix_lines(JANUARY))
    import_paths([path], store)
    before = stored_rows(database_path)
    report = import_paths([path], store)
    assert report.changed == 0
    assert stored_rows(database_path) == before


def natures_stored(database_path: Path) -> set[Nature]:
    return {Nature(n) for _, _, n in stored_rows(database_path)}


def test_a_better_nature_replaces_a_worse_one_never_the_reverse(tmp_path, store, database_path):
    def consolidated_value(day, minutes):
        return default_value(day, minutes) + 5

    real_time = write_eco2mix(tmp_path / "tr.xls", eco2mix_lines(JANUARY))
    consolidated = write_eco2mix(
        tmp_path / "cons.xls",
        eco2mix_lines(JANUARY, consolidated_value, nature="consolidated"),
    )
    import_paths([real_time], store)
    assert natures_stored(database_path) == {Nature.REAL_TIME}

    import_paths([consolidated], store)
    assert imported(database_path) == expected_points(JANUARY, consolidated_value)
    assert natures_stored(database_path) == {Nature.CONSOLIDATED}

    report = import_paths([real_time], store)
    assert report.changed == 0
    assert imported(database_path) == expected_points(JANUARY, consolidated_value)
    assert natures_stored(database_path) == {Nature.CONSOLIDATED}


def test_at_equal_nature_the_later_import_wins(tmp_path, store, database_path):
    def newer(day, minutes):
        return default_value(day, minutes) - 100

    import_paths([write_eco2mix(tmp_path / "a.xls", eco2mix_lines(JANUARY))], store)
    import_paths([write_eco2mix(tmp_path / "b.xls", eco2mix_lines(JANUARY, newer))], store)
    assert imported(database_path) == expected_points(JANUARY, newer)


def test_a_run_with_one_bad_file_writes_nothing(tmp_path, store, database_path):
    import_paths([write_eco2mix(tmp_path / "old.xls", eco2mix_lines([dt.date(2024, 1, 1)]))], store)
    before = stored_rows(database_path)
    good = write_eco2mix(tmp_path / "run" / "1-good.xls", eco2mix_lines(JANUARY))
    lines = eco2mix_lines([dt.date(2025, 1, 4)])
    lines[-1] = lines[-1].replace("\t23:45\t", "\t23:99\t")
    write_eco2mix(tmp_path / "run" / "2-bad.xls", lines)
    with pytest.raises(Eco2mixError, match=r"2-bad.xls, line 97: invalid time"):
        import_paths([tmp_path / "run"], store)
    assert good.exists()
    assert stored_rows(database_path) == before


def test_cli_import_prints_each_file_and_a_total_once(tmp_path, database_path, capsys):
    write_eco2mix(tmp_path / "data" / "tr.xls", eco2mix_lines(JANUARY))
    assert main(["import", str(tmp_path / "data"), "--database", str(database_path)]) == 0
    out, err = capsys.readouterr()
    assert "tr.xls: France, real-time, 2025-01-01 00:00 → 2025-01-03 23:30 Paris time, 144 half-hours read" in out
    assert "total: 1 file, 144 half-hours read, 144 stored or updated" in out
    assert "144 half-hours" not in err  # the summary is said once, on stdout, not again as a log line
    assert len(stored_rows(database_path)) == 144


def test_cli_import_reads_data_dir_and_database_path_from_the_environment(tmp_path, monkeypatch, capsys):
    write_eco2mix(tmp_path / "rte" / "tr.xls", eco2mix_lines(JANUARY))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DATA_DIR=rte\nDATABASE_PATH=from-dotenv.sqlite3\n")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "from-env.sqlite3"))
    assert main(["import"]) == 0
    assert len(stored_rows(tmp_path / "from-env.sqlite3")) == 144
    assert not (tmp_path / "from-dotenv.sqlite3").exists()


def test_cli_import_failure_exits_non_zero_and_names_the_problem(tmp_path, database_path, capsys):
    write_eco2mix(tmp_path / "d" / "a.xls", eco2mix_lines(JANUARY))
    write_eco2mix(tmp_path / "d" / "b.xls", eco2mix_lines(JANUARY, perimeter="Bretagne"))
    assert main(["import", str(tmp_path / "d"), "--database", str(database_path)]) == 1
    err = capsys.readouterr().err
    assert "b.xls, line 2: perimeter 'Bretagne' is not 'France'" in err
    assert not database_path.exists()  # nothing stored: the new database is not left behind


def average_script_output(database_path: Path) -> str:
    script = Path(__file__).parents[2] / "scripts" / "average_consumption.sql"
    with sqlite3.connect(database_path) as connection:
        (value,) = connection.execute(script.read_text()).fetchone()
    return str(value)


def test_average_script_matches_a_mean_computed_in_python(tmp_path, store, database_path):
    around = days(dt.date(2018, 12, 31), dt.date(2019, 1, 4))  # the script asks for 2019, a stored year
    import_paths([write_eco2mix(tmp_path / "f.xls", eco2mix_lines(around))], store)
    start = dt.datetime(2019, 1, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    end = dt.datetime(2019, 1, 3, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    inside = [mw for t, mw in expected_points(around).items() if start.timestamp() <= t <= end.timestamp()]
    assert len(inside) == 3 * 48 - 12 - 13  # both bounds included: 119 half hours
    expected = round(statistics.fmean(inside), 1)
    assert float(average_script_output(database_path)) == expected

    if shutil.which("sqlite3"):
        script = Path(__file__).parents[2] / "scripts" / "average_consumption.sql"
        result = subprocess.run(
            ["sqlite3", str(database_path)],
            input=script.read_text(),
            capture_output=True,
            text=True,
            check=True,
        )
        assert float(result.stdout.strip()) == expected


def test_samples_import_with_the_values_of_the_files(samples, database_path, capsys):
    national = samples / "national"
    assert main(["import", str(national), "--database", str(database_path)]) == 0
    stored = {t: (mw, n) for t, mw, n in stored_rows(database_path)}

    # An independent reading of the files: every :00/:30 line with a number.
    expected: dict[int, int] = {}
    for path in sorted(national.iterdir()):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                text = archive.read(archive.namelist()[0]).decode("cp1252")
        else:
            text = path.read_bytes().decode("cp1252")
        for line in text.splitlines()[1:]:
            cells = line.split("\t")
            if len(cells) < 5 or not cells[4].isdigit() or cells[3][3:] not in ("00", "30"):
                continue
            instant = paris_instant(dt.datetime.fromisoformat(f"{cells[2]}T{cells[3]}"))
            if instant is not None:
                expected[instant] = int(cells[4])
    assert {t: mw for t, (mw, _) in stored.items()} == expected
    assert {n for _, n in stored.values()} == {Nature.REAL_TIME}
    # A value read off the 2026 file: 2026-02-01 00:00 in Paris is 23:00 UTC the day before.
    assert stored[int(dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC).timestamp())][0] == 58568
    # The 2025-03-30 sample stops at 04:45: 10 half hours of wall-clock, 2 that do not exist.
    spring = [t for t in stored if str(dt.datetime.fromtimestamp(t, dt.UTC).date()) in ("2025-03-29", "2025-03-30")]
    assert len(spring) == 8


def test_a_regional_sample_is_refused_and_changes_nothing(samples, tmp_path, database_path, capsys):
    write_eco2mix(tmp_path / "france.xls", eco2mix_lines(JANUARY))
    assert main(["import", str(tmp_path / "france.xls"), "--database", str(database_path)]) == 0
    before = stored_rows(database_path)
    regional = samples / "regional" / "eCO2mix_RTE_Bretagne_Annuel-Definitif_2014.zip"
    assert main(["import", str(regional), "--database", str(database_path)]) == 1
    assert "perimeter 'Bretagne'" in capsys.readouterr().err
    assert stored_rows(database_path) == before


def test_the_schema_is_the_contract(database_path):
    connect(database_path).close()
    with sqlite3.connect(database_path) as connection:
        columns = {row[1]: (row[2], row[5]) for row in connection.execute("PRAGMA table_info(consumption)")}
    assert columns["timestamp"] == ("INTEGER", 1)
    assert columns["consumption_mw"][0] == "INTEGER"
    assert "nature" in columns
