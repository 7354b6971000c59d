"""The HTTP surface: security headers on every response, no path in a
503, 414/431 as JSON rather than a reset, slow or idle clients that keep nobody waiting."""

from __future__ import annotations

import resource
import socket
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from consumption.config import Settings
from consumption.web import head_limits
from consumption.web.app import create_app
from consumption.web.head_limits import BoundedHead
from tests.helpers import running_server
from tests.server_process import serving, write_history

ONE_DAY = "/consumption?start=2024-06-01&end=2024-06-01"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("surface") / "consumption.sqlite3"
    write_history(path, 2023, 2024)
    return path


def served(app: ASGIApp, access_log: bool = False) -> AbstractContextManager[str]:
    """uvicorn in a thread with the server's own protocol, logging through the root logger."""
    return running_server(app, http=BoundedHead, access_log=access_log, log_config=None)


def connect(url: str, timeout: float) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=timeout)


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send `request` whole, then read the answer until the server closes."""
    with connect(url, timeout=10) as sock:
        sock.sendall(request)
        answer = bytearray()
        while data := sock.recv(65536):
            answer += data
    return bytes(answer)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        ONE_DAY,
        ONE_DAY + "&format=csv",
        "/consumption?start=2023-01-01&end=2024-12-31",  # streamed
        "/consumption?start=nonsense&end=2024-01-01",  # 400
        "/nowhere",  # 404
        "/health",
        "/ready",
        "/openapi.json",
    ],
)
def test_every_response_carries_the_security_headers(database, path):
    with served(create_app(Settings(database_path=database))) as url:
        response = httpx.get(url + path)
        post = httpx.post(url + path)  # 405 for all but 404
    for answer in (response, post):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["referrer-policy"] == "no-referrer"


def test_a_503_names_no_absolute_path(tmp_path):
    missing = tmp_path / "nowhere" / "consumption.sqlite3"
    with served(create_app(Settings(database_path=missing))) as url:
        answers = [httpx.get(url + path) for path in (ONE_DAY, "/ready", "/health")]
    for answer in answers:
        assert answer.status_code == 503
        assert "consumption.sqlite3" in answer.text or answer.url.path == "/health"
        assert str(tmp_path) not in answer.text


@pytest.mark.parametrize(
    ("request_bytes", "status", "route"),
    [
        (b"GET /consumption?start=" + b"1" * 60_000 + b" HTTP/1.1\r\nHost: test\r\n\r\n", 414, "/consumption"),
        (b"GET /health HTTP/1.1\r\nHost: test\r\nX-Big: " + b"y" * 100_000 + b"\r\n\r\n", 431, "/health"),
        (b"GET /health HTTP/1.1\r\nHost: test\r\n" + b"X-Many: header\r\n" * 5_000 + b"\r\n", 431, "/health"),
    ],
)
def test_a_request_too_long_gets_414_or_431_counted_and_logged(database, request_bytes, status, route, caplog):
    with served(create_app(Settings(database_path=database)), access_log=True) as url:
        with caplog.at_level("INFO", logger="uvicorn.access"):
            answer = raw_exchange(url, request_bytes)  # was a 400, or 200 with 1 MB of headers
        metrics = httpx.get(url + "/metrics").text
    assert answer.startswith(b"HTTP/1.1 %d " % status)
    assert b'{"error":"the request' in answer
    assert b"x-content-type-options: nosniff" in answer
    assert f'consumption_http_requests_total{{route="{route}",status="{status}"}} 1.0' in metrics
    (logged,) = [record.getMessage() for record in caplog.records if record.name == "uvicorn.access"]
    assert logged.endswith(f'" {status}')


def test_a_target_beyond_what_httptools_parses_gets_its_400(database):
    """httptools refuses a target over 64 KB before the app sees it: uvicorn answers."""
    with served(create_app(Settings(database_path=database))) as url:
        answer = raw_exchange(url, b"GET /consumption?start=" + b"1" * 100_000 + b" HTTP/1.1\r\nHost: test\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b"Invalid HTTP request received.")


def test_a_head_beyond_the_memory_bound_is_closed_and_the_server_serves_on(database):
    with served(create_app(Settings(database_path=database))) as url:
        with connect(url, timeout=10) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Big: ")
            try:
                for _ in range(5_000):
                    sock.sendall(b"y" * 1_000)
                closed = sock.recv(65536) == b""  # closed without an answer
            except (ConnectionResetError, BrokenPipeError):  # or reset: the server read no further
                closed = True
        after = httpx.get(url + "/ready")
    assert closed
    assert after.status_code == 200


def test_a_head_that_trickles_in_is_closed(database, monkeypatch):
    monkeypatch.setattr(head_limits, "HEAD_TIMEOUT", 0.5)
    with served(create_app(Settings(database_path=database))) as url, connect(url, timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n")
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < 3:
            time.sleep(0.1)
            try:
                sock.sendall(b"X")  # a byte now and then: uvicorn's keep-alive time-out never fires
                sock.setblocking(False)
                closed = sock.recv(65536) == b""
            except BlockingIOError:
                pass
            except OSError:  # reset
                closed = True
            sock.setblocking(True)
        elapsed = time.monotonic() - started
    assert closed
    assert 0.3 < elapsed < 2.5  # closed at the time-out, not at once


def limit_open_files_to_1024() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def test_a_normal_request_answers_within_a_second_while_1100_connections_send_headers_slowly(database):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2400:
        pytest.skip(f"the hard limit on open files ({hard}) leaves too few for this test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the 1,100 clients
    try:
        # The server starts as a container's process often does: a soft limit of 1,024 files.
        with serving(database, preexec_fn=limit_open_files_to_1024) as server:
            slow = []
            for _ in range(1100):
                sock = socket.create_connection(("127.0.0.1", server.port))
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: ")
                slow.append(sock)
            time.sleep(0.5)
            for sock in slow:
                sock.send(b"y")  # still coming
            # Was reset: no descriptor left. The timeout catches a hang; `make bench` measures the seconds.
            response = httpx.get(server.url + ONE_DAY, timeout=30)
            for sock in slow:
                sock.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert response.status_code == 200
    assert response.json()["count"] == 48


def test_the_head_limits_apply_to_each_request_of_a_kept_alive_connection(database):
    with served(create_app(Settings(database_path=database))) as url:
        first = b"GET /ready HTTP/1.1\r\nHost: test\r\nX-Fill: " + b"y" * 20_000 + b"\r\n\r\n"
        second = b"GET /ready HTTP/1.1\r\nHost: test\r\nX-Big: " + b"y" * 40_000 + b"\r\n\r\n"
        with connect(url, timeout=10) as sock:
            sock.sendall(first)
            answer = sock.recv(65536)
            while b'{"ready":true}' not in answer:
                answer += sock.recv(65536)
            sock.sendall(second)
            while data := sock.recv(65536):
                answer += data
    # Under the limit, the first is answered; the second's head alone is over it.
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"HTTP/1.1 431 " in answer
