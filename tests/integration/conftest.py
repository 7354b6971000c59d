"""Fixtures of the fetch tests: a fake RTE on 127.0.0.1, and settings that point to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consumption.config import Settings
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
