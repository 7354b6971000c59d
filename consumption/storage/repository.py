"""The SQLite repositories and the store that commits them in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from consumption.domain import (
    ArchiveLog,
    ArchiveRecord,
    ConsumptionPoint,
    ConsumptionRepository,
    Nature,
    RefreshRecord,
    Store,
    StoredSpan,
    TransactionLost,
)
from consumption.domain.clock import PARIS
from consumption.domain.model import holds_whole_year
from consumption.storage import queries
from consumption.storage.database import DatabaseError, connect


class SqliteConsumptionRepository(ConsumptionRepository):
    """Consumption points in the `consumption` table."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.changed = 0  # points changed through this repository, ever

    def add(self, points: Iterable[ConsumptionPoint]) -> int:
        before = self.connection.total_changes
        # sqlite3 binds a plain tuple's items faster than a named tuple's.
        self.connection.executemany(queries.UPSERT_POINT, map(tuple, points))
        changed = self.connection.total_changes - before
        self.changed += changed
        return changed

    def between(self, start: int, end: int) -> Iterator[ConsumptionPoint]:
        rows = self.connection.execute(queries.SELECT_RANGE, (start, end, -1))
        return (ConsumptionPoint(timestamp, mw, Nature(nature)) for timestamp, mw, nature in rows)

    def stored_span(self) -> StoredSpan:
        return StoredSpan(*self.connection.execute(queries.STORED_SPAN).fetchone())

    def definitive_years(self) -> set[int]:
        first, last = self.connection.execute(queries.STORED_BOUNDS).fetchone()
        if first is None:
            return set()
        years = range(PARIS.local(first).year, PARIS.local(last).year + 1)
        return {year for year in years if self._wholly_definitive(year)}

    def _wholly_definitive(self, year: int) -> bool:
        bounds = (PARIS.day_start(dt.date(year, 1, 1)), PARIS.day_start(dt.date(year + 1, 1, 1)))
        lowest, count = self.connection.execute(queries.LOWEST_NATURE, bounds).fetchone()
        return lowest == Nature.DEFINITIVE and holds_whole_year(year, count)


class SqliteArchiveLog(ArchiveLog):
    """The `archive` and `refresh` tables."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def get(self, name: str) -> ArchiveRecord | None:
        row = self.connection.execute(queries.SELECT_ARCHIVE, (name,)).fetchone()
        return ArchiveRecord(*row) if row else None

    def record(self, record: ArchiveRecord) -> None:
        self.connection.execute(queries.UPSERT_ARCHIVE, dataclasses.asdict(record))

    def last_refresh(self) -> RefreshRecord | None:
        row = self.connection.execute(queries.LAST_REFRESH).fetchone()
        return RefreshRecord(row[0], bool(row[1]), row[2]) if row else None

    def record_refresh(self, record: RefreshRecord) -> None:
        self.connection.execute(queries.UPSERT_REFRESH, (record.finished_at, int(record.ok), record.report))


class SqliteStore(Store):
    """Both repositories on one connection, so that one transaction covers them."""

    points: SqliteConsumptionRepository
    archives: SqliteArchiveLog

    def __init__(self, connection: sqlite3.Connection, path: Path | None = None) -> None:
        self.connection = connection
        self.path = path
        self.points = SqliteConsumptionRepository(connection)
        self.archives = SqliteArchiveLog(connection)

    @classmethod
    def open(cls, path: Path) -> SqliteStore:
        """The database at `path`, created with its schema when absent; `DatabaseError`
        when it cannot be, or when the file there is not one of ours."""
        return cls(connect(path), path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; a write SQLite refuses (a full disk, a read-only file, an I/O
        error) is a `DatabaseError` that names the file, with nothing written."""
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            # The generation says when stored points change (what readers' caches and ETags
            # follow), not the archive log; a savepoint undone after adding points still
            # counts, which only costs readers a cache refill.
            changes = self.points.changed
            try:
                yield
                if self.points.changed != changes:
                    self.connection.execute(queries.BUMP_GENERATION)
                self.connection.execute("COMMIT")
            except BaseException:
                if self.connection.in_transaction:  # SQLite may have rolled back already (a full disk)
                    self.connection.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as error:
            where = self.path or "the database"
            raise DatabaseError(f"cannot write to {where}: {error}; nothing was written") from error

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self.connection.execute("SAVEPOINT part")
        try:
            yield
        except BaseException as error:
            if not self.connection.in_transaction:
                raise TransactionLost(f"the whole transaction was undone: {error}") from error
            self.connection.execute("ROLLBACK TO part")
            self.connection.execute("RELEASE part")
            raise
        self.connection.execute("RELEASE part")

    def close(self) -> None:
        self.connection.close()
