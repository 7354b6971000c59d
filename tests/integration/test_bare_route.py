"""The bare route that `make bench` measures the service against does the same work:
it answers the half hours SQL holds in a range, with the values the service answers."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from consumption.config import Settings
from consumption.web.app import create_app
from scripts import bare_route
from tests import synthetic_history
from tests.helpers import running_server, stored_rows


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year in RTE's full-width annual file, imported."""
    folder = tmp_path_factory.mktemp("bare")
    database_path = folder / "consumption.sqlite3"
    synthetic_history.write_annual_files(folder / "files", 2024, 2024)
    command = [
        sys.executable,
        "-m",
        "consumption.cli",
        "import",
        str(folder / "files"),
        "--database",
        str(database_path),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return database_path


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def utc(day: str, hour: int = 0) -> int:
    return int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), synthetic_history.PARIS).timestamp())


@pytest.mark.parametrize(
    ("first", "last", "count"),
    # A summer day, the spring-forward day, and the fall-back day (48 in RTE's files: one set of
    # lines for the hour that happens twice) with the days between.
    [("2024-06-01", "2024-06-01", 48), ("2024-03-31", "2024-03-31", 46), ("2024-03-30", "2024-10-27", 211 * 48 + 46)],
)
def test_the_bare_route_answers_the_rows_sql_holds_as_the_service_does(
    database: Path, first: str, last: str, count: int
) -> None:
    start, end = utc(first), utc((dt.date.fromisoformat(last) + dt.timedelta(1)).isoformat()) - 1800
    rows = [(t, mw * 1_000_000) for t, mw, _ in stored_rows(database) if start <= t <= end]
    with running_server(bare_route.create_app(database)) as bare:
        answer = get(f"{bare}/consumption?start={start}&end={end}")
    with running_server(create_app(Settings(database_path=database))) as service:
        expected = get(f"{service}/consumption?start={first}&end={last}")

    assert [tuple(pair) for pair in answer] == rows
    assert len(rows) == count
    served = [
        (int(dt.datetime.fromisoformat(p["timestamp"]).timestamp()), p["consumption_w"]) for p in expected["data"]
    ]
    assert served == rows
