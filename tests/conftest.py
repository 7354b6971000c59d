from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumption.sqlite_store import SqliteConsumptionRepository, connect

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "rte-samples"


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "consumption.sqlite3"


@pytest.fixture
def repository(database_path: Path) -> Iterator[SqliteConsumptionRepository]:
    connection = connect(database_path)
    yield SqliteConsumptionRepository(connection)
    connection.close()


def stored_rows(database_path: Path) -> list[tuple[int, int, int]]:
    """Every row of the consumption table, read with a separate connection."""
    with sqlite3.connect(database_path) as connection:
        return connection.execute(
            "SELECT timestamp, consumption_mw, nature FROM consumption ORDER BY timestamp"
        ).fetchall()


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"RTE's sample files are not at {SAMPLES}")
    return SAMPLES
