from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from consumption.storage.repository import SqliteStore
from tests.helpers import SAMPLES


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "consumption.sqlite3"


@pytest.fixture
def store(database_path: Path) -> Iterator[SqliteStore]:
    """A SQLite store on a temporary file."""
    store = SqliteStore.open(database_path)
    yield store
    store.close()


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"RTE's sample files are not at {SAMPLES}")
    return SAMPLES
