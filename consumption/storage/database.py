"""Opening the SQLite database: for writing (with its schema), or read-only.

A database this program creates is marked with its own `application_id`. A file
that is not one of ours (another program's database, another schema version, not
SQLite at all) is refused before anything writes to it: it is left byte-for-byte
as it was. A new database is built beside its final name and moved into place
once complete, so a full disk or a read-only folder never leaves an empty or
half-made file behind.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from consumption.domain import Nature
from consumption.storage.queries import (
    ADD_DATABASE_ID,
    APPLICATION_ID,
    FIRST_GENERATION,
    IS_VERSION_1,
    SCHEMA,
    SCHEMA_VERSION,
    TABLES,
)

# Natures are stored as their rank. Without an adapter, sqlite3 binds an IntEnum
# through its slow path.
sqlite3.register_adapter(Nature, int)

SQLITE_HEADER_BYTES = 100
KNOWN_VERSIONS = (1, SCHEMA_VERSION)  # a version-1 database is brought to the current one on opening


class DatabaseError(RuntimeError):
    """The database cannot be opened or has an unexpected schema."""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when absent) the database at `path` for writing, with its schema.

    WAL journaling lets the API keep reading while an import writes, and readers
    only ever see committed imports. `DatabaseError` when the file there is not one
    of ours (then it is left unchanged), or cannot be created or opened.
    """
    size = _size(path)
    if size == 0:
        _create(path)
    else:
        _check_ours(path, size)
    try:
        # Not bound to one thread: a refresh reads on the event loop and imports in a thread, never at once.
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise DatabaseError(f"{path}: cannot open the database: {error}") from error
    try:
        connection.execute("PRAGMA busy_timeout = 30000")  # another import may be committing
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA cache_size = -32768")  # 32 MiB: the whole history's pages
        marked = connection.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        if not marked or connection.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            _write_schema(connection)  # one of ours from before the mark or of version 1: add what it lacks
    except sqlite3.Error as error:
        connection.close()
        raise DatabaseError(f"{path}: cannot open the database for writing: {error}") from error
    return connection


def read_only_uri(path: Path) -> str:
    """A URI that opens `path` read-only, so that no query can ever write."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _size(path: Path) -> int:
    """The file's size; 0 when there is none (SQLite's own view of a 0-byte file: a new database)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database: {error.strerror}") from error


def _write_schema(connection: sqlite3.Connection) -> None:
    migrate = ";".join(ADD_DATABASE_ID) if connection.execute(IS_VERSION_1).fetchone()[0] else ""
    connection.executescript(
        f"BEGIN IMMEDIATE; {SCHEMA}; {migrate}; {FIRST_GENERATION}; PRAGMA user_version = {SCHEMA_VERSION}; "
        f"PRAGMA application_id = {APPLICATION_ID}; COMMIT;"
    )


def _create(path: Path) -> None:
    """A new database at `path`, complete or not at all: built under a temporary name
    in the same folder, then linked into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            _write_schema(connection)
            connection.execute("PRAGMA journal_mode = WAL")
        finally:
            connection.close()
        try:
            os.link(temporary, path)  # never replaces a database another process just made
        except FileExistsError:
            if path.stat().st_size == 0:  # an empty file, as SQLite leaves one: ours to replace
                os.replace(temporary, path)
    except (OSError, sqlite3.Error) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise DatabaseError(
            f"{path}: cannot create the database: {reason} (is {path.parent} writable, with room left?)"
        ) from error
    finally:
        for leftover in (temporary, *(Path(f"{temporary}{s}") for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _check_ours(path: Path, size: int) -> None:
    """Refuse, without writing anything, a file of `size` bytes that is not a database of this program.

    The file is read through SQLite only: closing any other descriptor of it would drop the
    locks this process's connections hold, and another process closing its own connection
    could then delete the WAL from under them.
    """
    refused = f"{path} is not a database of this program, so it was left unchanged"
    hint = "; set DATABASE_PATH to a new file, or to one this program made"
    if size < SQLITE_HEADER_BYTES:  # SQLite would take it for an empty database
        raise DatabaseError(f"{refused}: it is not a SQLite file{hint}")
    try:
        with contextlib.closing(sqlite3.connect(read_only_uri(path), uri=True)) as connection:
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    except sqlite3.Error as error:
        if error.sqlite_errorname == "SQLITE_NOTADB":
            raise DatabaseError(f"{refused}: it is not a SQLite file{hint}") from error
        raise DatabaseError(
            f"{path}: cannot read the database: {error} (can this user write in {path.parent}?)"
        ) from error
    if application_id not in (0, APPLICATION_ID):
        raise DatabaseError(f"{refused}: its application id is {application_id:#x}{hint}")
    if application_id == 0 and not tables and version == 0:
        return  # an empty SQLite database: nothing in it to spoil
    foreign = sorted(tables - set(TABLES))
    if application_id == 0 and (foreign or "consumption" not in tables):  # not marked: its tables must be ours
        names = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
        raise DatabaseError(f"{refused}: it holds other tables ({names or 'none of ours'}){hint}")
    if version not in KNOWN_VERSIONS:
        raise DatabaseError(f"{path}: schema version {version}, this program knows {SCHEMA_VERSION}")
