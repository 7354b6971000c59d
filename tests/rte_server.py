"""A real HTTP server on 127.0.0.1 that serves zips in RTE's paths, and misbehaves on demand."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/download/eco2mix/"


@dataclass
class FakeRte:
    """What the server holds: archive name -> bytes; name -> a fault to play instead."""

    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)  # "500", "html", "slow", "truncated"
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    send_validators: bool = True  # ETag and Last-Modified headers
    slow_seconds: float = 3.0
    base_url: str = ""

    def served(self, name: str) -> int:
        """How many times the archive's bytes were sent (not 304, not 404)."""
        return sum(1 for path, headers in self.requests if path == PREFIX + name and headers.get("_status") == "200")


def _handler(rte: FakeRte) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            headers = dict(self.headers.items())
            rte.requests.append((self.path, headers))
            name = self.path.removeprefix(PREFIX)
            fault = rte.faults.get(name)
            if fault == "refuse":
                self.connection.close()
                return
            if fault == "500":
                return self._send(500, b"Internal Server Error", "text/plain", headers)
            if fault == "html":
                page = b"<!DOCTYPE html><html><body>Maintenance en cours</body></html>"
                return self._send(200, page, "text/html", headers)
            if fault == "slow":
                time.sleep(rte.slow_seconds)
            if not self.path.startswith(PREFIX) or name not in rte.files:
                return self._send(404, b"Not Found", "text/plain", headers)
            body = rte.files[name]
            if fault == "truncated":
                body = body[: len(body) // 2]
            etag = '"' + hashlib.sha256(rte.files[name]).hexdigest()[:16] + '"'
            if rte.send_validators and headers.get("If-None-Match") == etag:
                return self._send(304, b"", None, headers)
            extra = {"ETag": etag, "Last-Modified": formatdate(usegmt=True)} if rte.send_validators else {}
            self._send(200, body, "application/zip", headers, extra)

        def _send(self, status, body, content_type, headers, extra=None) -> None:
            headers["_status"] = str(status)
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def fake_rte() -> Iterator[FakeRte]:
    rte = FakeRte()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rte))
    server.daemon_threads = True
    rte.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rte
    finally:
        server.shutdown()
        server.server_close()
