"""A real HTTP server on 127.0.0.1 that serves zips in RTE's paths, and misbehaves on demand."""

from __future__ import annotations

import hashlib
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/download/eco2mix/"
# What a hostile server puts in its reason phrase and pages: never to be echoed.
HOSTILE_TEXT = "<script>alert('RTE-was-here')</script>"


@dataclass
class FakeRte:
    """What the server holds: archive name -> bytes; name -> a fault to play instead."""

    files: dict[str, bytes] = field(default_factory=dict)
    # "500", "html", "slow", "truncated", "refuse"; hostile ones: "drip" (the body one
    # byte every `drip_seconds`), "drip-headers" (the status line and headers likewise),
    # "redirect-away" (to another host), "redirect-here" (to another path of this server),
    # "redirect-loop", "hostile-reason" (a 503 whose reason phrase and page are HOSTILE_TEXT),
    # "gzip-bomb" (a zip header then `bomb_bytes` of zeros, gzip-encoded on the fly).
    faults: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    send_validators: bool = True  # ETag and Last-Modified headers
    slow_seconds: float = 3.0
    drip_seconds: float = 1.0
    bomb_bytes: int = 295 * 10**6
    base_url: str = ""
    other_host_url: str = ""  # this same server, under a name that is another host
    stopping: threading.Event = field(default_factory=threading.Event)

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
            if fault == "redirect-away":
                return self._redirect(rte.other_host_url + "/elsewhere/" + name, headers)
            if fault == "redirect-here":
                return self._redirect("/elsewhere/" + name, headers)
            if fault == "redirect-loop":
                return self._redirect(self.path, headers)
            if self.path.startswith("/elsewhere/"):
                name = self.path.removeprefix("/elsewhere/")
                fault = None
            elif not self.path.startswith(PREFIX):
                name = ""
            if fault == "hostile-reason":
                headers["_status"] = "503"
                self.send_response(503, HOSTILE_TEXT)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(HOSTILE_TEXT.encode())
                return None
            if fault == "drip-headers":
                headers["_status"] = "200"
                return self._drip(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"PK\x03\x04" * 250)
            if fault == "gzip-bomb":
                return self._gzip_bomb(headers)
            if name not in rte.files:
                return self._send(404, b"Not Found", "text/plain", headers)
            body = rte.files[name]
            if fault == "truncated":
                body = body[: len(body) // 2]
            if fault == "drip":
                headers["_status"] = "200"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return self._drip(body)
            etag = '"' + hashlib.sha256(rte.files[name]).hexdigest()[:16] + '"'
            if rte.send_validators and headers.get("If-None-Match") == etag:
                return self._send(304, b"", None, headers)
            extra = {"ETag": etag, "Last-Modified": formatdate(usegmt=True)} if rte.send_validators else {}
            self._send(200, body, "application/zip", headers, extra)

        def _redirect(self, location, headers) -> None:
            self._send(302, b"", None, headers, {"Location": location})

        def _drip(self, data: bytes) -> None:
            for index in range(len(data)):
                if rte.stopping.wait(rte.drip_seconds):
                    return
                try:
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                except OSError:  # the client has gone
                    return

        def _gzip_bomb(self, headers) -> None:
            headers["_status"] = "200"
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
            zeros = bytes(2**20)
            try:
                self.wfile.write(compressor.compress(b"PK\x03\x04"))
                for _ in range(rte.bomb_bytes // len(zeros)):
                    if rte.stopping.is_set():
                        return
                    self.wfile.write(compressor.compress(zeros))
                self.wfile.write(compressor.flush())
            except OSError:  # the client has gone
                return

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
    rte.other_host_url = f"http://localhost:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rte
    finally:
        rte.stopping.set()
        server.shutdown()
        server.server_close()
