"""`consumption serve` in a process of its own, as a user runs it, for the tests that watch it
from outside: what it prints, its memory and CPU time (from /proc), its answers to raw sockets."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from consumption.config import readers
from consumption.domain.model import ConsumptionPoint, Nature
from consumption.storage.repository import SqliteStore
from tests.helpers import refused_url
from tests.synthetic_history import half_hours

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ("2012-01-01", "2025-12-31")  # the range a whole-history request asks for
SERVE = [sys.executable, "-m", "consumption.cli", "serve"]
SERVING_ON = re.compile(r"serving on http://127\.0\.0\.1:(\d+)")  # what `serve` logs once it listens


def write_history(path: Path, first_year: int = 2012, last_year: int = 2025) -> int:
    """A database holding every half hour of those years (245k rows for 2012-2025)."""
    points = [ConsumptionPoint(t, mw, Nature.DEFINITIVE) for t, mw in half_hours(first_year, last_year)]
    store = SqliteStore.open(path)
    try:
        with store.transaction():
            store.points.add(points)
    finally:
        store.close()
    return len(points)


def serve_environment(database: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `consumption serve` on `database`: this process's, without any of
    the service's settings (the test gives those it wants in `env`)."""
    inherited = {name: value for name, value in os.environ.items() if name not in readers()}
    return {**inherited, "PYTHONPATH": str(ROOT), "DATABASE_PATH": str(database), **env}


class Server:
    """A `consumption serve` process, the port it serves on, and what it prints, read as it comes
    by a thread of its own: a full pipe never holds the server back."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.port = 0
        self._lines: list[str] = []
        self._ended = False
        self._printed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._printed:
                self._lines.append(line)
                self._printed.notify_all()
        with self._printed:
            self._ended = True
            self._printed.notify_all()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        """Everything it has printed so far, stdout and stderr."""
        with self._printed:
            return "".join(self._lines)

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        """The first match of `pattern` in a line the server printed, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        with self._printed:
            seen = 0
            while True:
                for line in self._lines[seen:]:
                    if match := re.search(pattern, line):
                        return match
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if self._ended or left <= 0:
                    said = "".join(self._lines)
                    raise AssertionError(f"the server printed no line matching {pattern!r}; it printed:\n{said}")
                self._printed.wait(left)

    def stop(self, signal_number: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Send `signal_number`, wait for the server to end (killing it after `timeout` s) and
        for the rest of what it printed; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout)
        if self.process.stdout is not None and not self._reader.is_alive():
            self.process.stdout.close()
        return self.process.returncode

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+)", status)
        assert match
        return int(match.group(1)) / 1024

    def cpu_seconds(self) -> float:
        """User and system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_until_idle(self, timeout: float = 60) -> float:
        """Seconds until the server used under 5% of a core over half a second."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if self.cpu_seconds() - before < 0.025:
                return time.monotonic() - started
        return time.monotonic() - started

    def connect(self, receive_buffer: int | None = None) -> socket.socket:
        sock = socket.socket()
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect(("127.0.0.1", self.port))
        return sock


def request_line(start: str, end: str) -> bytes:
    return f"GET /consumption?start={start}&end={end} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


def answer_health(server: Server, timeout: float = 30) -> None:
    """Return once the server answers /health. It listens before it logs its port, so a request
    waits in the socket's queue until it answers; it is refused only while WORKERS > 1 bind again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{server.url}/health", timeout=max(deadline - time.monotonic(), 0.1))
            return
        except httpx.TransportError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not answer /health; it printed:\n{server.output}") from None
            time.sleep(0.05)


@contextmanager
def serving(
    database: Path,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    cwd: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
    ready: bool = True,
) -> Iterator[Server]:
    """`consumption serve --port 0 ARGS` in `cwd` (by default the database's folder), on
    `database`, with DATA_DIR `files` beside it, an RTE that refuses connections and no
    refresh, unless `env` says otherwise. Yields once it answers /health on the port it logs
    (a LOG_LEVEL above INFO hides it), or at once if not `ready`, port unknown; then stops it
    with SIGTERM unless the test did."""
    with refused_url() as nowhere:
        defaults = {"DATA_DIR": str(database.parent / "files"), "RTE_BASE_URL": nowhere, "REFRESH_INTERVAL": "0"}
        environment = serve_environment(database, {**defaults, **(env or {})})
        process = subprocess.Popen(
            [*SERVE, "--port", "0", *args],
            cwd=cwd or database.parent,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=preexec_fn,
        )
        server = Server(process)
        try:
            if ready:
                server.port = int(server.wait_for(SERVING_ON)[1])
                answer_health(server)
            yield server
        finally:
            server.stop()
