"""Read-only access to the SQLite database, for the API.

The API reads with SQL of its own rather than through the repository (the
"views" of Architecture Patterns with Python). Connections are opened read-only
(`mode=ro`), so no request can ever write.

Range queries run on the event loop, with no thread hop: the rows of a range are
a B-tree seek and a sequential read, cheaper than the hop (docs/benchmarks.md). The
status behind /health counts the whole table, so it runs in aiosqlite's thread, off the loop.

A long range is read in batches, each in a read transaction of its own that
ends before the batch is handed on: a stream never holds a snapshot while it
waits for a slow client, so the writer's WAL can always be checkpointed. Every
import that changes data bumps the `generation` in its transaction, so a batch
that sees the generation the range started with sees the same data; one that
sees another raises `SnapshotChanged` rather than mix two versions in a response.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from consumption.domain import RefreshRecord, StoredSpan
from consumption.domain.model import HALF_HOUR_SECONDS
from consumption.storage.database import read_only_uri
from consumption.storage.queries import (
    ARCHIVE_IMPORTS,
    COUNT_RANGE,
    GENERATION,
    LAST_REFRESH,
    LATEST_POINT,
    MISSING_RUNS,
    PACKED_SHIFT,
    RANGE_BOUNDS,
    SELECT_RANGE,
    STORED_BOUNDS,
    STORED_SPAN,
    STORED_YEARS,
    aggregate_spans,
)

ROWS_PER_FETCH = 250  # a fraction of a millisecond to read and to render: one turn of a stream
BUCKETS_PER_STATEMENT = 64
PREFETCH_ROWS = 336  # a week: a range this short is read with its count, in one transaction
IDLE_CONNECTIONS = 16
Row = tuple[int, int, int]
# A bucket [start, stop) and its half hours: how many, their sum, minimum and maximum in MW,
# each with the start of its earliest half hour.
Aggregate = tuple[int, int, int, int, int, int, int, int]


@dataclass(frozen=True)
class Freshness:
    """What says whether stored data may have changed: the data's generation (None in a
    database without one), the stored span, and the last refresh."""

    generation: int | None
    first: int | None
    last: int | None
    refresh: RefreshRecord | None


class DatabaseUnavailable(RuntimeError):
    """The database does not exist yet or cannot be read."""


class SnapshotChanged(RuntimeError):
    """An import changed the data while a long range was being read."""


@dataclass(frozen=True)
class DatabaseStatus(StoredSpan):
    """What `/health` shows: the stored span and its Paris years, the last refresh, and when
    each archive (downloaded, embedded or a local file) was imported: name -> UTC seconds."""

    refresh: RefreshRecord | None = None
    archives: tuple[tuple[str, int], ...] = ()
    years: tuple[int, ...] = ()


@dataclass(frozen=True)
class RangeQuery:
    """The half hours of [start, end]: their count, the data's generation and freshness,
    read in one snapshot; then the rows (or the buckets' aggregates) in batches, each in a
    snapshot of its own at that same generation."""

    reader: ConsumptionReader
    start: int
    end: int
    count: int
    freshness: Freshness  # of the whole table
    first: int | None  # the first and last stored instants in the range
    last: int | None
    prefetched: list[Row] | None  # every row of the range, when it is short

    def aggregates(self, buckets: Iterable[tuple[int, int]]) -> Iterator[Aggregate]:
        """Count, sum, minimum and maximum (each with when) of each bucket [start, stop) that holds data."""
        pending = iter(buckets)
        while batch := list(itertools.islice(pending, BUCKETS_PER_STATEMENT)):
            for index, count, total, low, high in self.reader.aggregate_batch(batch, self.freshness.generation):
                if count:
                    start, stop = batch[index]
                    low_mw, low_at = divmod(low, PACKED_SHIFT)
                    high_mw, high_after = divmod(high, PACKED_SHIFT)
                    yield start, stop, count, total, low_mw, low_at, high_mw, PACKED_SHIFT - 1 - high_after

    def rows(self) -> Iterator[list[Row]]:
        """The rows of the range in batches, in time order; each batch read in a short
        transaction of its own."""
        if self.prefetched is not None:
            if self.prefetched:
                yield self.prefetched
            return
        low = self.start
        while low <= self.end:
            batch = self.reader.batch(low, self.end, self.freshness.generation)
            if batch:
                yield batch
            if len(batch) < ROWS_PER_FETCH:
                return
            low = batch[-1][0] + 1


class ConsumptionReader:
    def __init__(self, database_path: Path) -> None:
        self.database_path = database_path
        self._idle: list[sqlite3.Connection] = []

    def _check_exists(self) -> None:
        if not self.database_path.is_file():
            name = self.database_path.name  # never the path: errors go to clients
            raise DatabaseUnavailable(f"no database {name!r} yet; import data with `consumption import`")

    def _unavailable(self, error: sqlite3.Error) -> DatabaseUnavailable:
        return DatabaseUnavailable(f"cannot read the database {self.database_path.name!r}: {error}")

    def _open(self) -> sqlite3.Connection:
        self._check_exists()
        try:
            return sqlite3.connect(read_only_uri(self.database_path), uri=True, isolation_level=None)
        except sqlite3.Error as error:
            raise self._unavailable(error) from error

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection; one that saw an error is closed, not reused."""
        connection = self._idle.pop() if self._idle else self._open()
        try:
            yield connection
        except BaseException:
            connection.close()
            raise
        if connection.in_transaction or len(self._idle) >= IDLE_CONNECTIONS:
            connection.close()
        else:
            self._idle.append(connection)

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection in a read transaction, ended before it is given back."""
        try:
            with self.connection() as connection:
                connection.execute("BEGIN")
                try:
                    yield connection
                finally:
                    connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise self._unavailable(error) from error

    def range(self, start: int, end: int, *, counted: bool = True) -> RangeQuery:
        """The rows whose timestamp lies in [start, end]: counted now, read in batches later.

        Not `counted`, the count (a scan of the range) is replaced by an upper bound, the
        half hours from the first stored one to the last: what aggregates need."""
        with self._transaction() as connection:
            if counted:
                count, first, last = connection.execute(COUNT_RANGE, (start, end)).fetchone()
            else:
                first, last = connection.execute(RANGE_BOUNDS, (start, end)).fetchone()
                count = 0 if first is None else (last - first) // HALF_HOUR_SECONDS + 1
            freshness = _freshness(connection)
            short = counted and count <= PREFETCH_ROWS
            rows = connection.execute(SELECT_RANGE, (start, end)).fetchall() if short else None
        return RangeQuery(self, start, end, count, freshness, first, last, rows)

    def freshness(self) -> Freshness:
        """The data's generation, stored span and last refresh: three index lookups."""
        with self._transaction() as connection:
            return _freshness(connection)

    def latest(self) -> Row | None:
        """The most recent stored half hour, if any."""
        with self._transaction() as connection:
            row: Row | None = connection.execute(LATEST_POINT).fetchone()
            return row

    def batch(self, low: int, high: int, generation: int | None) -> list[Row]:
        """Up to ROWS_PER_FETCH rows from `low` on, as of `generation`."""
        with self._transaction() as connection:
            _check_generation(connection, generation)
            cursor = connection.execute(SELECT_RANGE, (low, high))
            try:
                rows: list[Row] = cursor.fetchmany(ROWS_PER_FETCH)
            finally:
                cursor.close()
            return rows

    def aggregate_batch(self, buckets: list[tuple[int, int]], generation: int | None) -> list[tuple[int, ...]]:
        """(index, count, sum, min, max) of each bucket [start, stop), as of `generation`."""
        with self._transaction() as connection:
            _check_generation(connection, generation)
            parameters = [bound for bucket in buckets for bound in bucket]
            return connection.execute(aggregate_spans(len(buckets)), parameters).fetchall()

    async def status(self) -> DatabaseStatus:
        """Counts, first and last instants, years, last refresh: a full scan, run off the event loop
        (in aiosqlite's thread)."""
        self._check_exists()
        queries = (STORED_SPAN, LAST_REFRESH, ARCHIVE_IMPORTS, STORED_YEARS)
        try:
            async with aiosqlite.connect(read_only_uri(self.database_path), uri=True) as connection:
                (totals,), refresh, archives, years = [list(await connection.execute_fetchall(q)) for q in queries]
        except sqlite3.Error as error:
            raise self._unavailable(error) from error
        count, first, last = totals
        record = RefreshRecord(refresh[0][0], bool(refresh[0][1]), refresh[0][2]) if refresh else None
        archive_log = tuple((name, at) for name, at in archives)
        return DatabaseStatus(count, first, last, record, archive_log, tuple(year for (year,) in years))

    async def missing_runs(self, start: int, end: int) -> tuple[list[tuple[int, int]], Freshness]:
        """The runs of missing half hours in [start, end] within the stored span, each as its
        first and last missing half-hour start, read in one snapshot with the freshness.

        A scan of the range (a fraction of a second over the whole history): it runs in a
        thread, on a connection of its own, so that other requests are answered meanwhile."""
        return await asyncio.to_thread(self._missing_runs, start, end)

    def _missing_runs(self, start: int, end: int) -> tuple[list[tuple[int, int]], Freshness]:
        connection = self._open()
        try:
            connection.execute("BEGIN")
            return connection.execute(MISSING_RUNS, (start, end)).fetchall(), _freshness(connection)
        except sqlite3.Error as error:
            raise self._unavailable(error) from error
        finally:
            connection.close()


def _generation(connection: sqlite3.Connection) -> int | None:
    try:
        row = connection.execute(GENERATION).fetchone()
    except sqlite3.OperationalError:  # an older database, without the table
        return None
    return row[0] if row else None


def _check_generation(connection: sqlite3.Connection, generation: int | None) -> None:
    if _generation(connection) != generation:
        raise SnapshotChanged(f"the data changed (generation {generation}) while the range was read")


def _freshness(connection: sqlite3.Connection) -> Freshness:
    first, last = connection.execute(STORED_BOUNDS).fetchone()
    generation = _generation(connection)
    try:
        refresh = connection.execute(LAST_REFRESH).fetchone()
    except sqlite3.OperationalError:  # an older database, without the table
        refresh = None
    record = RefreshRecord(refresh[0], bool(refresh[1]), refresh[2]) if refresh else None
    return Freshness(generation, first, last, record)
