"""The SQLite adapter: the schema, connections, and the repository of consumption points.

One row per half hour, keyed by its UTC start in Unix seconds. `timestamp` is an
INTEGER PRIMARY KEY, so it is SQLite's rowid: the table is a B-tree ordered by
time and a range query is one seek and a sequential scan, with no extra index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from consumption.domain import ConsumptionPoint, ConsumptionRepository, DataSummary, Nature

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS consumption (
    timestamp      INTEGER PRIMARY KEY,  -- UTC Unix seconds at which the half hour starts
    consumption_mw INTEGER NOT NULL,     -- France's consumption, MW
    nature         INTEGER NOT NULL      -- 1 real time, 2 consolidated, 3 definitive
                   CHECK (nature BETWEEN 1 AND 3),
    CHECK (timestamp % 1800 = 0)
) STRICT;

-- What each downloaded RTE archive was last seen as, written in the transaction
-- that imports it: a refresh asks RTE only for what changed since.
CREATE TABLE IF NOT EXISTS archive (
    name          TEXT PRIMARY KEY,     -- eCO2mix_RTE_En-cours-TR.zip, ...
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    half_hours    INTEGER NOT NULL,
    imported_at   INTEGER NOT NULL      -- UTC Unix seconds
) STRICT;

-- A number that every import that changes data increments in its transaction:
-- what readers key their rendered text on, so a cache never outlives its data.
CREATE TABLE IF NOT EXISTS generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO generation (id, value) VALUES (1, 0);

-- The outcome of the last fetch or refresh, by whichever process ran it.
CREATE TABLE IF NOT EXISTS refresh (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    finished_at INTEGER NOT NULL,       -- UTC Unix seconds
    ok          INTEGER NOT NULL,       -- 1 when every archive was fetched or current
    summary     TEXT NOT NULL
) STRICT;
"""

# A better nature replaces a worse one; at equal nature the later import wins, and
# an identical row is left alone so that re-importing a file changes nothing.
UPSERT = """
INSERT INTO consumption (timestamp, consumption_mw, nature) VALUES (?, ?, ?)
ON CONFLICT (timestamp) DO UPDATE
SET consumption_mw = excluded.consumption_mw, nature = excluded.nature
WHERE excluded.nature > consumption.nature
   OR (excluded.nature = consumption.nature
       AND excluded.consumption_mw <> consumption.consumption_mw)
"""


# Natures are stored as their rank. Without an adapter, sqlite3 binds an IntEnum
# through its slow path: measured 0.2-0.4 s of a 3 s full-history import.
sqlite3.register_adapter(Nature, int)


class DatabaseError(RuntimeError):
    """The database cannot be opened or has an unexpected schema."""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when absent) the database at `path` for writing, with its schema.

    WAL journaling lets the API keep reading while an import writes, and readers
    only ever see committed imports.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA busy_timeout = 30000")  # another import may be committing
        connection.execute("PRAGMA cache_size = -32768")  # 32 MiB: the whole history's pages
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise DatabaseError(
                f"{path}: schema version {version}, this program knows {SCHEMA_VERSION}"
            )
        connection.executescript(SCHEMA)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.Error as error:
        raise DatabaseError(f"{path}: cannot open the database: {error}") from error
    return connection


def read_only_uri(path: Path) -> str:
    """A URI that opens `path` read-only, so that no query can ever write."""
    return f"{path.resolve().as_uri()}?mode=ro"


class SqliteConsumptionRepository(ConsumptionRepository):
    """Consumption points in the `consumption` table of a SQLite database."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.connection.execute("BEGIN IMMEDIATE")
        changes = self.connection.total_changes
        try:
            yield
            if self.connection.total_changes != changes:
                self.connection.execute("UPDATE generation SET value = value + 1 WHERE id = 1")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self.connection.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self.connection.execute("ROLLBACK TO part")
            self.connection.execute("RELEASE part")
            raise
        self.connection.execute("RELEASE part")

    def add(self, points: Iterable[ConsumptionPoint]) -> int:
        before = self.connection.total_changes
        self.connection.executemany(
            UPSERT, points
        )
        return self.connection.total_changes - before

    def between(self, start: int, end: int) -> Iterator[ConsumptionPoint]:
        cursor = self.connection.execute(
            "SELECT timestamp, consumption_mw, nature FROM consumption"
            " WHERE timestamp BETWEEN ? AND ? ORDER BY timestamp",
            (start, end),
        )
        for timestamp, consumption_mw, nature in cursor:
            yield ConsumptionPoint(timestamp, consumption_mw, Nature(nature))

    def summary(self) -> DataSummary:
        count, first, last = self.connection.execute(
            "SELECT count(*), min(timestamp), max(timestamp) FROM consumption"
        ).fetchone()
        return DataSummary(count, first, last)


@dataclass(frozen=True)
class ArchiveRecord:
    """What a downloaded archive was when it was last imported."""

    name: str
    url: str
    etag: str | None
    last_modified: str | None
    size: int
    sha256: str
    half_hours: int
    imported_at: int


@dataclass(frozen=True)
class RefreshRecord:
    finished_at: int
    ok: bool
    summary: str


def record_refresh(connection: sqlite3.Connection, record: RefreshRecord) -> None:
    connection.execute(
        "INSERT OR REPLACE INTO refresh (id, finished_at, ok, summary) VALUES (1, ?, ?, ?)",
        (record.finished_at, int(record.ok), record.summary),
    )


class SqliteArchiveLog:
    """The `archive` table: one record per RTE archive imported."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def get(self, name: str) -> ArchiveRecord | None:
        row = self.connection.execute(
            "SELECT name, url, etag, last_modified, size, sha256, half_hours, imported_at"
            " FROM archive WHERE name = ?",
            (name,),
        ).fetchone()
        return ArchiveRecord(*row) if row else None

    def record(self, record: ArchiveRecord) -> None:
        self.connection.execute(
            "INSERT OR REPLACE INTO archive VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.name,
                record.url,
                record.etag,
                record.last_modified,
                record.size,
                record.sha256,
                record.half_hours,
                record.imported_at,
            ),
        )
