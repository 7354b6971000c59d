"""Downloading from a hostile or stalling RTE, against a real HTTP server on
127.0.0.1 that misbehaves on demand: each test keeps to a few seconds through small
deadlines and limits in its Settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import logging
import os
import re
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest

from consumption.cli import main
from consumption.config import Settings
from consumption.domain import Outcome
from consumption.eco2mix.download import remove_partial_downloads
from consumption.storage.repository import SqliteStore
from tests.eco2mix_files import eco2mix_lines, expected_points
from tests.helpers import stored_rows
from tests.rte_archives import CONSOLIDATED, JANUARY, TR, refresh, rte_zip
from tests.rte_server import HOSTILE_TEXT, fake_rte
from tests.server_process import serving, write_history


@pytest.fixture
def rte():
    with fake_rte() as server:
        server.files[TR] = rte_zip(eco2mix_lines(JANUARY))
        server.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:1], nature="consolidated"))
        yield server


@pytest.fixture
def settings(tmp_path, rte) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_path=tmp_path / "data" / "consumption.sqlite3",
        rte_base_url=rte.base_url,
        http_timeout=2.0,
        download_deadline=2.0,
        download_max_mb=1,
    )


def outcomes(report) -> dict[str, tuple[Outcome, str]]:
    return {d.archive.name: (d.outcome, d.message) for d in report.downloads}


def environment(settings: Settings) -> dict[str, str]:
    return {
        "DATA_DIR": str(settings.data_dir),
        "DATABASE_PATH": str(settings.database_path),
        "RTE_BASE_URL": settings.rte_base_url,
        "HTTP_TIMEOUT": str(settings.http_timeout),
        "DOWNLOAD_DEADLINE": str(settings.download_deadline),
        "DOWNLOAD_MAX_MB": str(settings.download_max_mb),
    }


@pytest.mark.parametrize("fault", ["drip", "drip-headers"])
def test_a_server_sending_one_byte_a_second_is_cut_at_the_deadline_and_the_refresh_goes_on(fault, rte, settings):
    rte.faults[CONSOLIDATED] = fault  # every read arrives within HTTP_TIMEOUT: only a deadline stops it
    started = time.monotonic()
    report = refresh(settings, today=dt.date(2025, 1, 4))
    elapsed = time.monotonic() - started

    # The drip lasts 17 minutes: only a deadline on the whole download ends the refresh, any
    # time before it (a generous bound, for a loaded machine).
    assert elapsed < 60
    outcome, message = outcomes(report)[CONSOLIDATED]
    assert outcome is Outcome.FAILED
    assert "deadline of 2 s" in message
    assert outcomes(report)[TR][0] is Outcome.DOWNLOADED  # the next archive was fetched and imported
    assert {t: mw for t, mw, _ in stored_rows(settings.database_path)} == expected_points(JANUARY)
    assert not list(settings.data_dir.glob(".*.part"))


def test_an_archive_larger_than_the_limit_is_refused(rte, settings):
    rte.files[CONSOLIDATED] = b"PK\x03\x04" + os.urandom(2 * 2**20)
    report = refresh(settings, today=dt.date(2025, 1, 4))
    outcome, message = outcomes(report)[CONSOLIDATED]
    assert outcome is Outcome.FAILED
    assert "larger than 1 MiB" in message
    assert outcomes(report)[TR][0] is Outcome.DOWNLOADED


def test_a_gzip_bomb_is_cut_at_the_limit_in_bounded_memory(rte, settings):
    rte.faults[CONSOLIDATED] = "gzip-bomb"  # 295 MB of zeros once decoded, about 300 kB on the wire
    settings = dataclasses.replace(settings, download_deadline=20.0)
    tracemalloc.start()
    try:
        report = refresh(settings, today=dt.date(2025, 1, 4))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outcome, message = outcomes(report)[CONSOLIDATED]
    assert outcome is Outcome.FAILED
    assert "larger than 1 MiB" in message
    assert peak < 8 * 2**20
    assert outcomes(report)[TR][0] is Outcome.DOWNLOADED


def test_a_redirect_to_another_host_is_refused(rte, settings):
    rte.faults[TR] = "redirect-away"  # the same bytes, from a host that is not RTE_BASE_URL's
    report = refresh(settings, today=dt.date(2025, 1, 4))
    outcome, message = outcomes(report)[TR]
    assert outcome is Outcome.FAILED
    assert "redirected away" in message
    assert [path for path, _ in rte.requests if path.startswith("/elsewhere/")] == []
    assert outcomes(report)[CONSOLIDATED][0] is Outcome.DOWNLOADED


def test_a_redirect_within_rtes_host_is_followed(rte, settings):
    rte.faults[TR] = "redirect-here"
    report = refresh(settings, today=dt.date(2025, 1, 4))
    assert outcomes(report)[TR][0] is Outcome.DOWNLOADED
    rte.faults[CONSOLIDATED] = "redirect-loop"
    report = refresh(settings, today=dt.date(2025, 1, 5))
    assert outcomes(report)[CONSOLIDATED] == (Outcome.FAILED, "more than 5 redirects; stopped")


@pytest.mark.parametrize("fault", ["hostile-reason", "html"])
def test_health_and_logs_never_echo_what_the_server_sent(fault, rte, settings, monkeypatch, capsys, caplog):
    rte.faults[TR] = fault
    page = f"<!DOCTYPE html>{HOSTILE_TEXT}".encode()
    rte.files[TR] = page  # what the "html" fault's page would be, should it be served as is
    for name, value in environment(settings).items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.DEBUG, logger="consumption"):
        assert main(["refresh"]) == 1
    output = capsys.readouterr()
    summary = refresh(settings, today=dt.date(2025, 1, 4)).describe()
    assert "HTTP 503" in summary or "an HTML page" in summary
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("consumption"))
    for text in (output.out, output.err, ours, summary):
        assert "RTE-was-here" not in text and "DOCTYPE" not in text and "Maintenance" not in text


def test_leftover_temporary_files_are_removed_at_the_next_run(rte, settings, monkeypatch):
    settings.data_dir.mkdir(parents=True)
    stale = [
        settings.data_dir / f".{TR}.abcd1234.part",  # left by a download that was killed: no lock
        settings.data_dir / f".{TR}.999999999.abcd1234.part",  # named as before, with a process id
    ]
    mine = settings.data_dir / f".{CONSOLIDATED}.abcd1234.part"  # a download in progress elsewhere
    for path in [*stale, mine]:
        path.write_bytes(b"PK\x03\x04 half")
    with mine.open("rb") as in_progress:
        fcntl.flock(in_progress, fcntl.LOCK_EX)  # as a download holds it until it ends
        for name, value in environment(settings).items():
            monkeypatch.setenv(name, value)
        # A locked file older than a download's deadline is stale too: a deadline far longer
        # than the refresh takes, however loaded the machine, keeps `mine` in progress.
        monkeypatch.setenv("DOWNLOAD_DEADLINE", "3600")
        assert main(["refresh"]) == 0
        assert [p for p in stale if p.exists()] == []
        assert mine.exists()
    assert remove_partial_downloads(settings.data_dir) == [mine]


def test_a_download_killed_with_sigkill_leaves_nothing_after_the_next_start(rte, settings):
    rte.faults[TR] = "drip"
    rte.drip_seconds = 0.05
    env = {**os.environ, **environment(settings), "DOWNLOAD_DEADLINE": "60"}
    command = [sys.executable, "-m", "consumption.cli", "refresh"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not list(settings.data_dir.glob(f".{TR}.*.part")):
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert list(settings.data_dir.glob(".*.part"))  # what a kill -9 leaves behind
    rte.faults.clear()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=60)
    assert not list(settings.data_dir.glob(".*.part"))


def test_serve_removes_leftover_temporary_files_at_start(rte, settings, monkeypatch):
    for name, value in environment(settings).items():
        monkeypatch.setenv(name, value)
    assert main(["refresh"]) == 0  # a database with data: `serve` starts without fetching
    leftover = settings.data_dir / f".{TR}.999999999.abcd1234.part"
    leftover.write_bytes(b"PK\x03\x04 half")
    with serving(settings.database_path, environment(settings), ready=False) as server:
        server.wait_for(re.escape(f"removed {leftover}, left by an interrupted download"), timeout=20)
        assert not leftover.exists()


def test_a_server_stopped_during_a_download_stops_at_once_and_records_no_refresh(rte, settings, tmp_path):
    """The download runs on the server's loop for the refresh's worker thread: stopping the
    server cancels it at once, leaves no temporary file, and records no run it did not finish."""
    database = tmp_path / "db" / "consumption.sqlite3"
    database.parent.mkdir()
    write_history(database, 2025, 2025)
    rte.faults[TR] = "drip"
    env = {**environment(settings), "DATABASE_PATH": str(database), "DOWNLOAD_DEADLINE": "600"}
    with serving(database, env={**env, "REFRESH_INTERVAL": "once"}) as server:
        deadline = time.monotonic() + 20
        while not list(settings.data_dir.glob(f".{TR}.*.part")):
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
        stopping = time.monotonic()
        server.stop(timeout=20)
        stopped_in = time.monotonic() - stopping
    assert stopped_in < 5, f"the server took {stopped_in:.1f} s to stop"
    assert not list(settings.data_dir.glob(".*.part"))
    store = SqliteStore.open(database)
    try:
        assert store.archives.last_refresh() is None
    finally:
        store.close()
