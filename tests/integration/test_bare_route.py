"""The bare route that `make bench` measures the service against does the same work:
it answers the rows SQL holds, in the service's own JSON document."""

from __future__ import annotations

import datetime as dt
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bare_route
import bench_history

from consumption.config import Settings
from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from tests.helpers import running_server, stored_rows

# A summer day, the spring-forward day (46 half hours) and the fall-back day (48 in
# RTE's files, one set of lines for the hour that happens twice).
DAYS = [dt.date(2024, 6, 1), dt.date(2024, 3, 31), dt.date(2024, 10, 27)]


@pytest.fixture
def database(tmp_path: Path, database_path: Path) -> Path:
    """The days above, written as full-width annual files are and imported."""
    for day in DAYS:
        bench_history.write_one_day(tmp_path / "files" / day.isoformat(), day)
    store = SqliteStore.open(database_path)
    try:
        import_paths([tmp_path / "files"], store)
    finally:
        store.close()
    return database_path


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        document: dict[str, object] = json.loads(response.read())
        return document


@pytest.mark.parametrize(
    ("first", "last", "count"),
    [("2024-06-01", "2024-06-01", 48), ("2024-03-31", "2024-03-31", 46), ("2024-03-30", "2024-10-27", 48 + 46 + 48)],
)
def test_the_bare_route_answers_the_rows_sql_holds_as_the_service_does(
    database: Path, first: str, last: str, count: int
) -> None:
    start, end = bare_route.paris_day_bounds(first, last)
    rows = [row for row in stored_rows(database) if start.timestamp() <= row[0] <= end.timestamp()]
    query = f"/consumption?start={first}&end={last}"
    with running_server(bare_route.create_app(database)) as bare:
        answer = get(bare + query)
    with running_server(create_app(Settings(database_path=database))) as service:
        expected = get(service + query)

    # The service adds `interval` and the stored span; the rest is the same document.
    assert answer == {key: expected[key] for key in answer}
    assert answer["count"] == len(rows) == count
    assert [
        (
            int(dt.datetime.fromisoformat(item["timestamp"]).timestamp()),
            item["consumption_w"] // 1_000_000,
            item["nature"],
        )
        for item in answer["data"]
    ] == [(timestamp, mw, "definitive") for timestamp, mw, _ in rows]
