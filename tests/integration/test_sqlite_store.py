"""The store contract, held by the SQLite store; and both stores fed the same points agree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumption.domain import ConsumptionPoint, Nature
from consumption.storage.repository import SqliteStore
from tests.helpers import stored_rows
from tests.memory_store import MemoryStore
from tests.store_contract import T0, StoreContract, everything


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SqliteStore]:
        store = SqliteStore.open(tmp_path / "contract.sqlite3")
        yield store
        store.close()

    def test_what_is_read_back_is_what_the_table_holds(self, store: SqliteStore, tmp_path: Path) -> None:
        with store.transaction():
            store.points.add([ConsumptionPoint(T0, 1, Nature.DEFINITIVE)])
        assert stored_rows(tmp_path / "contract.sqlite3") == [(T0, 1, 3)]


points = st.builds(
    ConsumptionPoint,
    timestamp=st.integers(0, 40).map(lambda i: T0 + 1800 * i),
    consumption_mw=st.integers(1, 3),
    nature=st.sampled_from(list(Nature)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(points, max_size=30), max_size=6))
def test_the_sql_upsert_and_the_domain_rule_agree(tmp_path_factory: pytest.TempPathFactory, batches) -> None:
    """The precedence rule exists twice, as SQL for speed and as Python in the domain:
    the same batches give the same rows and the same change counts."""
    memory = MemoryStore()
    sqlite = SqliteStore.open(tmp_path_factory.mktemp("agree") / "db.sqlite3")
    try:
        for batch in batches:
            with memory.transaction(), sqlite.transaction():
                assert memory.points.add(batch) == sqlite.points.add(batch)
        assert everything(memory) == everything(sqlite)
    finally:
        sqlite.close()


def test_the_generation_follows_the_points_not_the_archive_log(tmp_path: Path) -> None:
    """What readers' caches and ETags are keyed on changes exactly when stored points do."""
    from tests.store_contract import archive

    store = SqliteStore.open(tmp_path / "generation.sqlite3")

    def generation() -> int:
        return int(store.connection.execute("SELECT value FROM generation").fetchone()[0])

    try:
        start = generation()
        with store.transaction():
            store.archives.record(archive("a.zip"))
        assert generation() == start
        with store.transaction():
            store.points.add([ConsumptionPoint(T0, 1, Nature.REAL_TIME)])
        assert generation() == start + 1
        with store.transaction():
            assert store.points.add([ConsumptionPoint(T0, 1, Nature.REAL_TIME)]) == 0
        assert generation() == start + 1
    finally:
        store.close()
