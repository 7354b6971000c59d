"""Opening the SQLite database: for writing (with its schema), or read-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from consumption.domain import Nature
from consumption.storage.queries import SCHEMA, SCHEMA_VERSION

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
            raise DatabaseError(f"{path}: schema version {version}, this program knows {SCHEMA_VERSION}")
        connection.executescript(SCHEMA)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.Error as error:
        raise DatabaseError(f"{path}: cannot open the database: {error}") from error
    return connection


def read_only_uri(path: Path) -> str:
    """A URI that opens `path` read-only, so that no query can ever write."""
    return f"{path.resolve().as_uri()}?mode=ro"
