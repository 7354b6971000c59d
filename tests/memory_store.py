"""The repositories in memory, for the unit tests: the domain's rules without a database.

What the services run on in unit tests (which may not touch SQLite), held by the same
contract tests as the SQLite store. A transaction or savepoint copies the state it may
have to restore: fine for tests and small data, not meant for a whole history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from consumption.domain import (
    ArchiveLog,
    ArchiveRecord,
    ConsumptionPoint,
    ConsumptionRepository,
    Nature,
    RefreshRecord,
    Store,
    StoredSpan,
)
from consumption.domain.clock import PARIS
from consumption.domain.model import holds_whole_year, replaces


class MemoryConsumptionRepository(ConsumptionRepository):
    def __init__(self) -> None:
        self.points: dict[int, ConsumptionPoint] = {}

    def add(self, points: Iterable[ConsumptionPoint]) -> int:
        changed = 0
        for point in points:
            if replaces(point, self.points.get(point.timestamp)):
                self.points[point.timestamp] = point
                changed += 1
        return changed

    def between(self, start: int, end: int) -> Iterator[ConsumptionPoint]:
        return iter(sorted(point for point in self.points.values() if start <= point.timestamp <= end))

    def stored_span(self) -> StoredSpan:
        if not self.points:
            return StoredSpan(0, None, None)
        return StoredSpan(len(self.points), min(self.points), max(self.points))

    def definitive_years(self) -> set[int]:
        years: dict[int, tuple[bool, int]] = {}
        for point in self.points.values():
            year = PARIS.local(point.timestamp).year
            definitive, count = years.get(year, (True, 0))
            years[year] = (definitive and point.nature is Nature.DEFINITIVE, count + 1)
        return {year for year, (definitive, count) in years.items() if definitive and holds_whole_year(year, count)}


class MemoryArchiveLog(ArchiveLog):
    def __init__(self) -> None:
        self.records: dict[str, ArchiveRecord] = {}
        self.refresh: RefreshRecord | None = None

    def get(self, name: str) -> ArchiveRecord | None:
        return self.records.get(name)

    def record(self, record: ArchiveRecord) -> None:
        self.records[record.name] = record

    def last_refresh(self) -> RefreshRecord | None:
        return self.refresh

    def record_refresh(self, record: RefreshRecord) -> None:
        self.refresh = record


class MemoryStore(Store):
    points: MemoryConsumptionRepository
    archives: MemoryArchiveLog

    def __init__(self) -> None:
        self.points = MemoryConsumptionRepository()
        self.archives = MemoryArchiveLog()
        self.generation = 0  # bumped by each transaction that changes points, like SQLite's

    @contextmanager
    def transaction(self) -> Iterator[None]:
        points = dict(self.points.points)
        with self.savepoint():
            yield
        if self.points.points != points:  # the points, not the archive log
            self.generation += 1

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """The state before the block is put back when the block raises."""
        before = dict(self.points.points), dict(self.archives.records), self.archives.refresh
        try:
            yield
        except BaseException:
            self.points.points, self.archives.records, self.archives.refresh = before
            raise
