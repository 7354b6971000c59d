"""Read-only access to the SQLite database: the one way every route reads.

Reads run on a small pool of threads, each with its own read-only connection (`mode=ro`,
so no request can ever write), as datasette's `execute_fn` does. A request makes one hop
to the pool, `await reader.run(work)`: `work` gets a `Snapshot`, one read transaction, and
does all of that request's SQL in it (and may render there, off the event loop). A read
waits on no lock for long (a short busy timeout), and its SQL has a time limit: past it,
`QueryTimeout`, a 503.

A long range is read in batches, one hop each, each in a read transaction of its own that
ends before the batch is handed on: a stream never holds a snapshot while it waits for a
slow client, so the writer's WAL can always be checkpointed. Every import that changes
data bumps the `generation` in its transaction, so a batch that sees the version the
range started with sees the same data; one that sees another raises `SnapshotChanged`
rather than mix two versions in a response.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from consumption.domain import RefreshRecord, StoredSpan
from consumption.domain.model import HALF_HOUR_SECONDS
from consumption.storage import queries as sql
from consumption.storage.database import read_only_uri

SQL_THREADS = 4
BUSY_TIMEOUT_MS = 200  # a writer's checkpoint may hold the WAL index for a moment
PROGRESS_STEPS = 1000  # SQLite instructions between two looks at the time limit
ROWS_PER_BATCH = 250
MAX_WAITING = 256  # requests queued for a reading thread; beyond, a 503 rather than an ever longer wait
BUCKETS_PER_STATEMENT = 64
Row = tuple[int, int, int]
# A bucket [start, stop) and its half hours: how many, their sum, minimum and maximum in MW,
# each with the start of its earliest half hour.
Aggregate = tuple[int, int, int, int, int, int, int, int]
T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database does not exist yet or cannot be read."""


class QueryTimeout(DatabaseUnavailable):
    """A read ran past the time limit."""


class SnapshotChanged(RuntimeError):
    """An import changed the data while a long range was being read."""


@dataclass(frozen=True)
class Freshness:
    """What says whether stored data may have changed: `version`, the database's random id
    and its generation (equal only for the same data), the stored span, the last refresh."""

    version: str
    first: int | None
    last: int | None
    refresh: RefreshRecord | None


@dataclass(frozen=True)
class DatabaseStatus(StoredSpan):
    """What `/health` shows: the stored span and its Paris years, the last refresh, and when
    each archive (downloaded, embedded or a local file) was imported: name -> UTC seconds."""

    refresh: RefreshRecord | None = None
    archives: tuple[tuple[str, int], ...] = ()
    years: tuple[int, ...] = ()


class Snapshot:
    """One read transaction: the data's freshness, read first, then what a request asks."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        first, last, generation, database_id, finished_at, ok, summary = connection.execute(sql.FRESHNESS).fetchone()
        refresh = None if finished_at is None else RefreshRecord(finished_at, bool(ok), summary)
        self.freshness = Freshness(f"{database_id}-{generation}", first, last, refresh)

    def check(self, version: str) -> None:
        if self.freshness.version != version:
            raise SnapshotChanged(f"the data changed (version {version}) while the range was read")

    def rows(self, start: int, end: int, limit: int = -1) -> list[Row]:
        """The rows whose timestamp lies in [start, end], in time order, at most `limit`."""
        return self.connection.execute(sql.SELECT_RANGE, (start, end, limit)).fetchall()

    def bounds(self, start: int, end: int) -> tuple[int | None, int | None]:
        """The first and last stored instants in [start, end]."""
        first, last = self.connection.execute(sql.RANGE_BOUNDS, (start, end)).fetchone()
        return first, last

    def aggregates(self, buckets: Sequence[tuple[int, int]]) -> list[Aggregate]:
        """Count, sum, minimum and maximum (each with when) of each bucket [start, stop) that holds data."""
        found: list[Aggregate] = []
        for offset in range(0, len(buckets), BUCKETS_PER_STATEMENT):
            batch = buckets[offset : offset + BUCKETS_PER_STATEMENT]
            parameters = [bound for bucket in batch for bound in bucket]
            found += self.connection.execute(sql.aggregate_spans(len(batch)), parameters)
        return found

    def missing_runs(self, start: int, end: int) -> list[tuple[int, int]]:
        """The runs of missing half hours in [start, end] within the stored span, each as its
        first and last missing half-hour starts, in time order."""
        stored = self.freshness
        if stored.first is None or stored.last is None:
            return []
        low = max(-(-start // HALF_HOUR_SECONDS) * HALF_HOUR_SECONDS, stored.first)
        high = min(end // HALF_HOUR_SECONDS * HALF_HOUR_SECONDS, stored.last)
        if low > high:
            return []
        first, _ = self.bounds(low, high)
        if first is None:
            return [(low, high)]
        runs = [(low, first - HALF_HOUR_SECONDS)] if first > low else []
        for before, after in self.connection.execute(sql.GAP_STARTS, (low, high)):
            stop = high if after is None or after > high else after - HALF_HOUR_SECONDS
            if before + HALF_HOUR_SECONDS <= stop:
                runs.append((before + HALF_HOUR_SECONDS, stop))
        return runs

    def latest(self) -> Row | None:
        row: Row | None = self.connection.execute(sql.LATEST_POINT).fetchone()
        return row

    def status(self) -> DatabaseStatus:
        """Counts, first and last instants, years, last refresh: a scan of the whole table."""
        count, first, last = self.connection.execute(sql.STORED_SPAN).fetchone()
        archives = tuple(self.connection.execute(sql.ARCHIVE_IMPORTS))
        years = tuple(year for (year,) in self.connection.execute(sql.STORED_YEARS))
        return DatabaseStatus(count, first, last, self.freshness.refresh, archives, years)


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[Snapshot], Any]]


class Reader:
    """A pool of `threads` reading threads over the database at `path`."""

    def __init__(self, path: Path, time_limit_ms: int, threads: int = SQL_THREADS) -> None:
        self.path = path
        self.time_limit = time_limit_ms / 1000
        self.threads = threads
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pool: list[threading.Thread] = []

    async def run(self, work: Callable[[Snapshot], T]) -> T:
        """`work(snapshot)` in one read transaction, on a thread of the pool."""
        if not self._pool:
            self._pool = [threading.Thread(target=self._serve, daemon=True) for _ in range(self.threads)]
            for thread in self._pool:
                thread.start()
        if self._jobs.qsize() >= MAX_WAITING:
            raise DatabaseUnavailable(f"{MAX_WAITING} requests are waiting for the database: the service is busy")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, work))
        return await future

    async def batches(self, version: str, start: int, end: int, render: Callable[[list[Row]], T]) -> AsyncIterator[T]:
        """The rows of [start, end] at `version`, rendered a batch at a time, one hop each."""
        while start <= end:
            rows, rendered = await self.run(partial(_batch, version, start, end, render))
            if rows:
                yield rendered
            if len(rows) < ROWS_PER_BATCH:
                return
            start = rows[-1][0] + 1

    async def aggregate_batches(
        self, version: str, buckets: Iterable[tuple[int, int]], render: Callable[[list[Aggregate]], T]
    ) -> AsyncIterator[T]:
        """The aggregates of `buckets` at `version`, rendered a few statements at a time."""
        pending = iter(buckets)
        while batch := list(itertools.islice(pending, 4 * BUCKETS_PER_STATEMENT)):
            yield await self.run(partial(_aggregate_batch, version, batch, render))

    def close(self) -> None:
        for _ in self._pool:
            self._jobs.put(None)
        for thread in self._pool:
            thread.join()
        self._pool = []

    def _serve(self) -> None:
        connection: sqlite3.Connection | None = None
        deadline = [0.0]
        while (job := self._jobs.get()) is not None:
            loop, future, work = job
            if future.cancelled():  # its client has gone while it waited
                continue
            try:
                if connection is None:
                    connection = self._open()
                    connection.set_progress_handler(lambda: time.monotonic() > deadline[0], PROGRESS_STEPS)
                deadline[0] = time.monotonic() + self.time_limit
                outcome, error = self._read(connection, work), None
            except BaseException as failure:
                outcome, error = None, failure
                if connection is not None and isinstance(failure, DatabaseUnavailable):
                    connection.close()  # opened again for the next request: the file may have been replaced
                    connection = None
            finally:
                deadline[0] = float("inf")
            with contextlib.suppress(RuntimeError):  # the loop that asked has closed
                loop.call_soon_threadsafe(_settle, future, outcome, error)
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        if not self.path.is_file():
            name = self.path.name  # never the path: errors go to clients
            raise DatabaseUnavailable(f"no database {name!r} yet; import data with `consumption import`")
        try:
            connection = sqlite3.connect(read_only_uri(self.path), uri=True, isolation_level=None)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as error:
            raise self._unavailable(error) from error
        return connection

    def _read(self, connection: sqlite3.Connection, work: Callable[[Snapshot], T]) -> T:
        try:
            connection.execute("BEGIN")
            try:
                return work(Snapshot(connection))
            finally:
                connection.execute("COMMIT")
        except sqlite3.Error as error:
            if str(error) == "interrupted":  # by the progress handler, at the time limit
                limit = round(self.time_limit * 1000)
                raise QueryTimeout(f"the query took longer than {limit} ms (SQL_TIME_LIMIT_MS)") from error
            raise self._unavailable(error) from error

    def _unavailable(self, error: sqlite3.Error) -> DatabaseUnavailable:
        return DatabaseUnavailable(f"cannot read the database {self.path.name!r}: {error}")


def _batch(
    version: str, low: int, high: int, render: Callable[[list[Row]], T], snapshot: Snapshot
) -> tuple[list[Row], T]:
    snapshot.check(version)
    rows = snapshot.rows(low, high, ROWS_PER_BATCH)
    return rows, render(rows)


def _aggregate_batch(
    version: str, buckets: list[tuple[int, int]], render: Callable[[list[Aggregate]], T], snapshot: Snapshot
) -> T:
    snapshot.check(version)
    return render(snapshot.aggregates(buckets))


def _settle(future: asyncio.Future[Any], outcome: object, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(outcome)
    else:
        future.set_exception(error)
