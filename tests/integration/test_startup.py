"""services/startup.py: building an empty database from the embedded history and DATA_DIR."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from consumption.domain import Nature
from consumption.services.importing import file_sha256, import_paths
from consumption.services.startup import build_or_update
from tests.eco2mix_files import days, eco2mix_lines, eco2mix_text, expected_points, write_eco2mix, write_zip
from tests.helpers import stored_rows

HISTORY = Path(__file__).resolve().parents[2] / "data" / "history"
JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 2))


def history_file(folder: Path, year: int, nature: str = "definitive") -> Path:
    name = f"eCO2mix_France_consumption_{year}_{nature}"
    text = eco2mix_text(eco2mix_lines(days(dt.date(year, 6, 1), dt.date(year, 6, 1)), nature=nature))
    return write_zip(folder / f"{name}.zip", {f"{name}.xls": text})


def test_history_first_then_data_dir_whose_files_win_at_equal_nature(tmp_path, store, database_path):
    history_file(tmp_path / "history", 2024)
    mine = write_eco2mix(tmp_path / "data" / "mine.xls", eco2mix_lines(JANUARY, nature="definitive"))
    report = build_or_update(store, tmp_path / "history", tmp_path / "data")
    assert report.built and report.skipped == []
    assert [Path(p).name for p in report.imported] == ["eCO2mix_France_consumption_2024_definitive.zip", mine.name]
    assert report.half_hours == 48 + 96 == len(stored_rows(database_path))
    record = store.archives.get("eCO2mix_France_consumption_2024_definitive.zip")
    assert record is not None and record.half_hours == 48 and record.url.startswith("file://")
    assert store.archives.get(mine.name) is None  # recorded by its path: never taken for an RTE archive

    again = build_or_update(store, tmp_path / "history", tmp_path / "data")
    assert (again.built, again.imported, again.half_hours) == (False, [], 144)


def test_the_history_inside_data_dir_or_copied_there_is_imported_once(tmp_path, store):
    history = tmp_path / "data" / "history"  # data/history in a source checkout
    history_file(history, 2024)
    copy = tmp_path / "data" / "local"  # ./data mounted at /data/local in Docker
    copy.mkdir()
    shutil.copy(history / "eCO2mix_France_consumption_2024_definitive.zip", copy)
    write_eco2mix(tmp_path / "data" / "mine.xls", eco2mix_lines(JANUARY))
    report = build_or_update(store, history, tmp_path / "data")
    assert [Path(p).name for p in report.imported] == ["eCO2mix_France_consumption_2024_definitive.zip", "mine.xls"]


def test_bad_files_are_skipped_with_their_reason_and_the_others_kept(tmp_path, store, database_path):
    history_file(tmp_path / "history", 2023)
    (tmp_path / "history" / "eCO2mix_France_consumption_2024_definitive.zip").write_bytes(b"PK\x03\x04 truncated")
    write_eco2mix(tmp_path / "data" / "a.xls", eco2mix_lines(JANUARY))
    write_eco2mix(tmp_path / "data" / "b.xls", eco2mix_lines(JANUARY[:1], perimeter="Bretagne"))
    write_eco2mix(tmp_path / "data" / "c.csv", ["not\tan\téCO2mix\tline"], columns=["x", "y"])
    report = build_or_update(store, tmp_path / "history", tmp_path / "data")
    assert {Path(s.file).name for s in report.skipped} == {
        "eCO2mix_France_consumption_2024_definitive.zip",
        "b.xls",
        "c.csv",
    }
    assert all(Path(s.file).name in s.reason for s in report.skipped)
    assert [Path(p).name for p in report.imported] == ["eCO2mix_France_consumption_2023_definitive.zip", "a.xls"]
    expected = expected_points(JANUARY) | expected_points([dt.date(2023, 6, 1)])
    assert {t: v for t, v, _ in stored_rows(database_path)} == expected
    assert store.archives.get("eCO2mix_France_consumption_2024_definitive.zip") is None


def test_the_shipped_history_holds_2012_to_2021(tmp_path, store, database_path):
    report = build_or_update(store, HISTORY, tmp_path / "no-data")
    assert len(report.imported) == 10 and report.skipped == []
    assert report.half_hours == 175_324
    rows = stored_rows(database_path)
    natures: dict[int, set[int]] = {}
    for timestamp, _, nature in rows:
        natures.setdefault(dt.datetime.fromtimestamp(timestamp + 3600, dt.UTC).year, set()).add(nature)
    assert natures == {year: {Nature.DEFINITIVE} for year in range(2012, 2021)} | {2021: {Nature.CONSOLIDATED}}
    assert max(v for _, v, _ in rows) == 102_098  # RTE's published record, 2012-02-08 19:00


def test_files_added_later_to_data_dir_are_imported_at_the_next_start(tmp_path, store, database_path, caplog):
    history_file(tmp_path / "history", 2024)
    data = tmp_path / "data"
    write_eco2mix(data / "first.xls", eco2mix_lines(JANUARY[:1]))
    assert build_or_update(store, tmp_path / "history", data).built

    later = write_eco2mix(data / "later.xls", eco2mix_lines(JANUARY, nature="consolidated"))
    write_eco2mix(data / "broken.csv", ["not\tan\téCO2mix\tline"], columns=["x", "y"])
    caplog.set_level("INFO")
    report = build_or_update(store, tmp_path / "history", data)
    assert not report.built
    assert [Path(p).name for p in report.imported] == ["later.xls"]  # neither the history nor first.xls again
    assert [Path(s.file).name for s in report.skipped] == ["broken.csv"]
    assert "importing 2 new or changed files" in caplog.text
    assert {n for t, _, n in stored_rows(database_path) if t >= expected_min(JANUARY)} == {Nature.CONSOLIDATED}
    assert report.half_hours == 48 + 96 == len(stored_rows(database_path))

    again = build_or_update(store, tmp_path / "history", data)
    assert (again.imported, [Path(s.file).name for s in again.skipped]) == ([], ["broken.csv"])

    write_eco2mix(later, eco2mix_lines(JANUARY, nature="definitive"))  # changed since its import
    changed = build_or_update(store, tmp_path / "history", data)
    assert [Path(p).name for p in changed.imported] == ["later.xls"]
    assert {n for t, _, n in stored_rows(database_path) if t >= expected_min(JANUARY)} == {Nature.DEFINITIVE}


def expected_min(days_: list[dt.date]) -> int:
    return min(expected_points(days_))


def test_a_file_imported_by_consumption_import_is_not_imported_again_at_start(tmp_path, store, caplog):
    history_file(tmp_path / "history", 2024)
    data = tmp_path / "data"
    assert build_or_update(store, tmp_path / "history", data).built
    imported = write_eco2mix(data / "mine.xls", eco2mix_lines(JANUARY))
    import_paths([data], store)  # `make import`
    record = store.archives.get(str(imported.resolve()))
    assert record is not None and record.half_hours == 96 and record.sha256 == file_sha256(imported)

    caplog.set_level("INFO")
    report = build_or_update(store, tmp_path / "history", data)
    assert (report.imported, report.skipped) == ([], [])
    assert f"no new files in {data}" in caplog.text
