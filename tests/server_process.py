"""`consumption serve` in a process of its own, for tests that measure it from outside:
its memory and CPU time (from /proc), its answers to raw sockets."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from consumption.domain.model import ConsumptionPoint, Nature
from consumption.storage.repository import SqliteStore
from tests.synthetic_history import half_hours

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ("2012-01-01", "2025-12-31")  # the range a whole-history request asks for


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    output: str = ""  # what it printed, once it has stopped

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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


@contextmanager
def serving(
    database: Path, env: Mapping[str, str] | None = None, preexec_fn: Callable[[], None] | None = None
) -> Iterator[Server]:
    """`python -m consumption.cli serve` on a free port, offline, on `database`."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_PATH": str(database),
        "DATA_DIR": str(database.parent / "files"),
        "RTE_BASE_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "REFRESH_INTERVAL": "0",
        "LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "consumption.cli", "serve", "--port", str(port)],
        cwd=database.parent,
        env={**environment, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec_fn,
    )
    server = Server(process, port)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.communicate()[0]}")
        try:
            httpx.get(f"{server.url}/health", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError("the server did not answer within 30 s") from None
            time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        try:
            server.output = process.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            server.output = process.communicate()[0]
