"""Other people's files: a database that is not ours is refused and left
byte-for-byte unchanged; a read-only folder or a full disk gives a clear error, never a
traceback nor an empty database file, and the previous database stays intact."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumption.bootstrap import prepare_database
from consumption.cli import main
from consumption.config import Settings
from consumption.storage.database import DatabaseError
from consumption.storage.queries import APPLICATION_ID
from consumption.storage.reader import DatabaseUnavailable, Reader
from consumption.storage.repository import SqliteStore
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix
from tests.helpers import stored_rows
from tests.rte_archives import CONSOLIDATED, JANUARY, TR, rte_zip
from tests.rte_server import fake_rte


def sqlite_file(path: Path, *statements: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path


OTHER_PEOPLES_FILES = {
    "another program's tables": lambda p: sqlite_file(
        p, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO users VALUES (1, 'ada')"
    ),
    "our table among others": lambda p: sqlite_file(
        p,
        "CREATE TABLE consumption (timestamp INTEGER PRIMARY KEY, consumption_mw INTEGER, nature INTEGER)",
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY)",
        "PRAGMA user_version = 1",
    ),
    "another schema version": lambda p: sqlite_file(
        p,
        "CREATE TABLE consumption (timestamp INTEGER PRIMARY KEY, consumption_mw INTEGER, nature INTEGER)",
        "PRAGMA user_version = 7",
    ),
    "another application id": lambda p: sqlite_file(p, "PRAGMA application_id = 1598903374"),
    "not SQLite at all": lambda p: (p.parent.mkdir(parents=True, exist_ok=True), p.write_text("name,value\n")) and p,
}


def environment(settings: Settings) -> dict[str, str]:
    return {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_PATH": str(settings.database_path),
        "RTE_BASE_URL": settings.rte_base_url,
        "HTTP_TIMEOUT": "2",
    }


@pytest.fixture
def rte():
    with fake_rte() as server:
        server.files[TR] = rte_zip(eco2mix_lines(JANUARY))
        server.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:1], nature="consolidated"))
        yield server


@pytest.fixture
def settings(tmp_path, rte) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_path=tmp_path / "db" / "theirs.sqlite3", rte_base_url=rte.base_url
    )


@pytest.mark.parametrize("case", OTHER_PEOPLES_FILES)
def test_a_database_that_is_not_ours_is_refused_and_left_unchanged(case, settings, monkeypatch, capsys, caplog):
    path = OTHER_PEOPLES_FILES[case](settings.database_path)
    before = path.read_bytes()
    siblings = sorted(p.name for p in path.parent.iterdir())
    january = write_eco2mix(settings.data_dir / "january.xls", eco2mix_lines(JANUARY))
    for name, value in environment(settings).items():
        monkeypatch.setenv(name, value)

    with pytest.raises(DatabaseError, match="not a database of this program|schema version 7"):
        SqliteStore.open(path)
    for command in (["import", str(january)], ["fetch", "--from-year", "2025"], ["refresh"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert str(path) in err and ("not a database of this program" in err or "schema version 7" in err)
        assert "Traceback" not in err
    with caplog.at_level(logging.INFO):
        prepare_database(settings)  # what `serve` does first
    assert "not a database of this program" in caplog.text or "schema version 7" in caplog.text

    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == siblings


def test_a_new_database_is_marked_as_ours_and_an_older_one_of_ours_is_kept(tmp_path):
    new = tmp_path / "new.sqlite3"
    SqliteStore.open(new).close()
    with sqlite3.connect(new) as connection:
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()

    older = sqlite_file(  # as the versions before the mark made them
        tmp_path / "older.sqlite3",
        "CREATE TABLE consumption (timestamp INTEGER PRIMARY KEY, consumption_mw INTEGER NOT NULL,"
        " nature INTEGER NOT NULL) STRICT",
        "INSERT INTO consumption VALUES (1735686000, 70000, 3)",
        "PRAGMA user_version = 1",
    )
    SqliteStore.open(older).close()
    assert stored_rows(older) == [(1735686000, 70000, 3)]
    with sqlite3.connect(older) as connection:
        assert connection.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    connection.close()


def test_the_apis_connection_cannot_write(tmp_path):
    path = tmp_path / "consumption.sqlite3"
    SqliteStore.open(path).close()
    reader = Reader(path, 1000)
    try:
        with pytest.raises(DatabaseUnavailable, match="readonly"):
            asyncio.run(
                reader.run(lambda s: s.connection.execute("INSERT INTO consumption VALUES (1735686000, 70000, 3)"))
            )
    finally:
        reader.close()


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder outside pytest's private temporary tree, that another user can reach."""
    folder = Path(tempfile.mkdtemp(prefix="consumption-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


NOBODY = 65534


def run_as_nobody(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """`consumption ARGS` in a forked child that has become the user `nobody`: its exit
    code and its standard error. (Forked, not run: `nobody` may not reach the interpreter.)"""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 99
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.environ.update(env)
            os.dup2(write, 2)
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            code = main(args)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write)
    with open(read, "rb") as errors:
        err = errors.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
def test_a_read_only_folder_gives_a_clear_error_and_no_file(shared_folder, rte):
    # `nobody` can read the folder, not write in it
    database = shared_folder / "db" / "consumption.sqlite3"
    database.parent.mkdir(mode=0o755)
    january = write_eco2mix(shared_folder / "january.xls", eco2mix_lines(JANUARY))
    january.chmod(0o644)
    env = {"DATA_DIR": str(shared_folder / "db"), "DATABASE_PATH": str(database), "RTE_BASE_URL": rte.base_url}

    code, err = run_as_nobody(["import", str(january)], env)
    assert code == 1
    assert "cannot create the database" in err and "Traceback" not in err
    assert sorted(database.parent.iterdir()) == []

    SqliteStore.open(database).close()  # a database made by its owner
    before = database.read_bytes()
    code, err = run_as_nobody(["refresh"], env)
    assert code == 1
    assert str(database) in err and "Traceback" not in err
    assert database.read_bytes() == before


def limit_file_size(size: int):
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def run_with_file_size_limit(args: list[str], env: dict[str, str], size: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consumption.cli", *args],
        env={**os.environ, **env},
        preexec_fn=limit_file_size(size),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_full_disk_gives_a_clear_error_and_keeps_the_previous_database(tmp_path, rte):
    database = tmp_path / "data" / "consumption.sqlite3"
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_PATH": str(database), "RTE_BASE_URL": rte.base_url}
    january = write_eco2mix(tmp_path / "january.xls", eco2mix_lines(JANUARY))

    result = run_with_file_size_limit(["import", str(january)], env, 1024)  # not even one page
    assert result.returncode == 1
    assert "cannot create the database" in result.stderr and "Traceback" not in result.stderr
    assert not database.exists()

    assert main_import(january, env) == 0
    before = stored_rows(database)
    rte.files[TR] = rte_zip(eco2mix_lines(days(dt.date(2025, 1, 1), dt.date(2025, 12, 31))))
    room = len(rte.files[TR]) + 4096  # the download fits; the import does not
    result = run_with_file_size_limit(["refresh"], env, room)
    assert result.returncode == 1
    assert TR in result.stderr and "Traceback" not in result.stderr
    assert stored_rows(database) == before


def main_import(path: Path, env: dict[str, str]) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "consumption.cli", "import", str(path)],
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
    )
    return result.returncode
