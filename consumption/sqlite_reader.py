"""Read-only, asynchronous access to the SQLite database, for the API.

The API reads with SQL of its own rather than through the repository (the
"views" of Architecture Patterns with Python): a query streams rows straight
from the cursor. Connections are opened read-only (`mode=ro`), so no request can
write, and kept in a small pool, because aiosqlite gives each connection a thread.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from consumption.domain import DataSummary
from consumption.sqlite_store import RefreshRecord, read_only_uri

log = logging.getLogger(__name__)

ROWS_PER_FETCH = 2000
SELECT_RANGE = (
    "SELECT timestamp, consumption_mw, nature FROM consumption"
    " WHERE timestamp BETWEEN ? AND ? ORDER BY timestamp"
)
COUNT_RANGE = "SELECT count(*) FROM consumption WHERE timestamp BETWEEN ? AND ?"
SUMMARY = "SELECT count(*), min(timestamp), max(timestamp) FROM consumption"
LAST_REFRESH = "SELECT finished_at, ok, summary FROM refresh WHERE id = 1"


@dataclass(frozen=True)
class HealthSummary(DataSummary):
    refresh: RefreshRecord | None = None


class DatabaseUnavailable(RuntimeError):
    """The database does not exist yet or cannot be read."""


class RangeQuery:
    """The half hours of one range, read in one snapshot: their count, then the rows."""

    def __init__(self, count: int, cursor: aiosqlite.Cursor) -> None:
        self.count = count
        self._cursor = cursor

    async def batches(self) -> AsyncIterator[list[tuple[int, int, int]]]:
        while rows := await self._cursor.fetchmany(ROWS_PER_FETCH):
            yield rows  # type: ignore[misc]


class ConsumptionReader:
    def __init__(self, database_path: Path, pool_size: int = 4) -> None:
        self.database_path = database_path
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._slots = asyncio.Semaphore(pool_size)

    async def _open(self) -> aiosqlite.Connection:
        if not self.database_path.is_file():
            raise DatabaseUnavailable(
                f"no database at {self.database_path} yet; import data with `consumption import`"
            )
        try:
            return await aiosqlite.connect(
                read_only_uri(self.database_path), uri=True, isolation_level=None
            )
        except sqlite3.Error as error:
            raise DatabaseUnavailable(f"cannot open {self.database_path}: {error}") from error

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """A pooled connection. One that saw an error or an interruption is closed, not reused."""
        async with self._slots:
            connection = self._idle.get_nowait() if not self._idle.empty() else await self._open()
            try:
                yield connection
            except BaseException:
                await asyncio.shield(self._discard(connection))
                raise
            if connection.in_transaction:
                await self._discard(connection)
            else:
                self._idle.put_nowait(connection)

    @staticmethod
    async def _discard(connection: aiosqlite.Connection) -> None:
        try:
            await connection.close()
        except Exception:  # closing a broken connection: nothing more to do
            log.debug("closing a discarded connection failed", exc_info=True)

    async def close(self) -> None:
        while not self._idle.empty():
            await self._discard(self._idle.get_nowait())

    async def summary(self) -> HealthSummary:
        try:
            async with self.connection() as connection:
                async with connection.execute(SUMMARY) as cursor:
                    count, first, last = await cursor.fetchone()  # type: ignore[misc]
                async with connection.execute(LAST_REFRESH) as cursor:
                    row = await cursor.fetchone()
        except sqlite3.Error as error:
            raise DatabaseUnavailable(f"cannot read {self.database_path}: {error}") from error
        refresh = RefreshRecord(row[0], bool(row[1]), row[2]) if row else None
        return HealthSummary(count, first, last, refresh)

    @asynccontextmanager
    async def range(self, start: int, end: int) -> AsyncIterator[RangeQuery]:
        """The rows whose timestamp lies in [start, end], in one read transaction."""
        try:
            async with self.connection() as connection:
                await connection.execute("BEGIN")
                async with connection.execute(COUNT_RANGE, (start, end)) as cursor:
                    (count,) = await cursor.fetchone()  # type: ignore[misc]
                async with connection.execute(SELECT_RANGE, (start, end)) as cursor:
                    yield RangeQuery(count, cursor)
                await connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise DatabaseUnavailable(f"cannot read {self.database_path}: {error}") from error
