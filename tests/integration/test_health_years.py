"""/health's `years` is made of what is stored: years imported from files on disk are
listed beside the embedded history's and RTE's."""

from __future__ import annotations

import datetime as dt
import shutil

from consumption.cli import main
from consumption.services.startup import build_or_update
from consumption.storage.repository import SqliteStore
from tests.api_fixtures import api_client
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix
from tests.history import HISTORY


def test_years_imported_from_local_files_are_in_health(tmp_path):
    database = tmp_path / "consumption.sqlite3"
    (tmp_path / "history").mkdir()
    shutil.copy(HISTORY / "eCO2mix_France_consumption_2019_definitive.zip", tmp_path / "history")
    write_eco2mix(tmp_path / "data" / "mine.xls", eco2mix_lines(days(dt.date(2023, 12, 31), dt.date(2024, 1, 2))))
    store = SqliteStore.open(database)
    try:
        report = build_or_update(store, tmp_path / "history", tmp_path / "data")
    finally:
        store.close()
    assert report.built and len(report.imported) == 2
    with api_client(database) as client:
        at_start = client.get("/health").json()["years"]
    # 2023-12-31 is Paris's 2023 (from 00:00+01:00), 2024-01-01 00:00 Paris its 2024.
    assert at_start == {"embedded": [2019], "rte": [], "files": [2023, 2024]}

    later = write_eco2mix(
        tmp_path / "later" / "june.xls", eco2mix_lines(days(dt.date(2025, 6, 1), dt.date(2025, 6, 1)))
    )
    assert main(["import", str(later), "--database", str(database)]) == 0
    with api_client(database) as client:
        health = client.get("/health").json()
    assert health["years"] == {"embedded": [2019], "rte": [], "files": [2023, 2024, 2025]}
