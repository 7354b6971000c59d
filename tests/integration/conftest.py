"""Fixtures shared by the integration tests: a fake RTE on 127.0.0.1 and settings that point
to it (the fetch tests), and the API's fixture database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from consumption.config import Settings
from tests.api_fixtures import write_api_database
from tests.rte_server import FakeRte, fake_rte


@pytest.fixture
def rte() -> Iterator[FakeRte]:
    with fake_rte() as server:
        yield server


@pytest.fixture
def settings(tmp_path, rte: FakeRte) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_path=tmp_path / "data" / "consumption.sqlite3",
        rte_base_url=rte.base_url,
        http_timeout=1.0,
    )


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API's fixture database (tests/api_fixtures.py), built once: the tests only read it."""
    return write_api_database(tmp_path_factory.mktemp("api"))
