"""The contract every Store keeps, whatever holds the data: one suite, run against
the in-memory store (tests/unit) and the SQLite store (tests/integration)."""

from __future__ import annotations

import datetime as dt

import pytest

from consumption.domain import ArchiveRecord, ConsumptionPoint, Nature, RefreshRecord, Store
from consumption.domain.clock import PARIS

RT, CONS, DEF = Nature.REAL_TIME, Nature.CONSOLIDATED, Nature.DEFINITIVE
T0 = 1_735_714_800  # 2025-01-01T07:00:00Z


def point(index: int, mw: int, nature: Nature = RT) -> ConsumptionPoint:
    return ConsumptionPoint(T0 + 1800 * index, mw, nature)


def everything(store: Store) -> list[ConsumptionPoint]:
    return list(store.points.between(-(2**62), 2**62))


def archive(name: str, sha: str = "a" * 64) -> ArchiveRecord:
    return ArchiveRecord(name, f"http://rte/{name}", '"e1"', None, 123, sha, 48, 1_700_000_000)


class StoreContract:
    """Subclasses provide a `store` fixture giving an empty store."""

    def test_a_better_nature_replaces_a_worse_one_never_the_reverse(self, store: Store) -> None:
        with store.transaction():
            assert store.points.add([point(0, 100, RT), point(1, 100, DEF)]) == 2
        with store.transaction():
            assert store.points.add([point(0, 200, CONS), point(1, 300, CONS)]) == 1
        assert everything(store) == [point(0, 200, CONS), point(1, 100, DEF)]

    def test_at_equal_nature_the_later_value_wins(self, store: Store) -> None:
        with store.transaction():
            store.points.add([point(0, 100, CONS)])
        with store.transaction():
            assert store.points.add([point(0, 101, CONS)]) == 1
        assert everything(store) == [point(0, 101, CONS)]

    def test_adding_the_same_points_again_changes_nothing(self, store: Store) -> None:
        points = [point(i, 50_000 + i, RT) for i in range(10)]
        with store.transaction():
            assert store.points.add(iter(points)) == 10
        with store.transaction():
            assert store.points.add(iter(points)) == 0
        assert everything(store) == points

    def test_a_failed_transaction_writes_nothing(self, store: Store) -> None:
        with store.transaction():
            store.points.add([point(0, 1, RT)])
        with pytest.raises(RuntimeError), store.transaction():
            store.points.add([point(0, 2, DEF), point(1, 2, DEF)])
            store.archives.record(archive("a.zip"))
            raise RuntimeError("the import failed half-way")
        assert everything(store) == [point(0, 1, RT)]
        assert store.archives.get("a.zip") is None

    def test_a_failed_savepoint_is_undone_alone(self, store: Store) -> None:
        with store.transaction():
            store.points.add([point(0, 1)])
            with pytest.raises(ValueError), store.savepoint():
                store.points.add([point(1, 2)])
                store.archives.record(archive("bad.zip"))
                raise ValueError("a bad archive")
            with store.savepoint():
                store.points.add([point(2, 3)])
                store.archives.record(archive("good.zip"))
        assert everything(store) == [point(0, 1), point(2, 3)]
        assert store.archives.get("bad.zip") is None
        assert store.archives.get("good.zip") == archive("good.zip")

    def test_range_reads_are_inclusive_and_in_time_order(self, store: Store) -> None:
        with store.transaction():
            store.points.add([point(i, i + 1) for i in reversed(range(20))])
        got = list(store.points.between(T0 + 1800 * 5, T0 + 1800 * 9))
        assert got == [point(i, i + 1) for i in range(5, 10)]
        assert list(store.points.between(T0 + 1, T0 + 1799)) == []
        assert list(store.points.between(T0 + 1800 * 9, T0 + 1800 * 5)) == []

    def test_the_stored_span(self, store: Store) -> None:
        empty = store.points.stored_span()
        assert (empty.count, empty.first, empty.last) == (0, None, None)
        with store.transaction():
            store.points.add([point(3, 1), point(7, 1), point(5, 1)])
        span = store.points.stored_span()
        assert (span.count, span.first, span.last) == (3, T0 + 1800 * 3, T0 + 1800 * 7)

    @pytest.mark.parametrize(("day", "half_hours"), [(dt.date(2025, 3, 30), 46), (dt.date(2025, 10, 26), 50)])
    def test_a_paris_day_across_a_clock_change_reads_back_whole(
        self, store: Store, day: dt.date, half_hours: int
    ) -> None:
        midnight = PARIS.to_utc(dt.datetime.combine(day, dt.time(0)))
        next_midnight = PARIS.to_utc(dt.datetime.combine(day + dt.timedelta(1), dt.time(0)))
        assert midnight is not None and next_midnight is not None
        instants = range(midnight - 3600, next_midnight + 3600, 1800)
        with store.transaction():
            store.points.add(ConsumptionPoint(t, 60_000, DEF) for t in instants)
        day_points = list(store.points.between(midnight, next_midnight - 1))
        assert len(day_points) == half_hours
        assert [p.timestamp for p in day_points] == list(range(midnight, next_midnight, 1800))

    def test_archive_records_are_replaced_by_name(self, store: Store) -> None:
        with store.transaction():
            store.archives.record(archive("x.zip", "a" * 64))
        with store.transaction():
            store.archives.record(archive("x.zip", "b" * 64))
        assert store.archives.get("x.zip") == archive("x.zip", "b" * 64)
        assert store.archives.get("y.zip") is None

    def test_the_last_refresh_is_kept(self, store: Store) -> None:
        assert store.archives.last_refresh() is None
        store.archives.record_refresh(RefreshRecord(1, False, "2 archives: 2 failed"))
        store.archives.record_refresh(RefreshRecord(2, True, "2 archives: 2 unchanged"))
        assert store.archives.last_refresh() == RefreshRecord(2, True, "2 archives: 2 unchanged")
