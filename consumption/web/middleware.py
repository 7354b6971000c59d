"""What wraps every response, in one pure ASGI middleware (one layer, no Request object):

- bounds on the request's head: a target (path and query) longer than MAX_TARGET bytes gets
  414, headers longer than MAX_HEADERS bytes get 431 (head_limits.py bounds what comes before);
- the metrics: each request's status and its time to the last byte (metrics.py);
- headers on every response: `X-Content-Type-Options: nosniff` (JSON and CSV are never taken
  for a page or a script), `Content-Security-Policy: frame-ancestors 'none'` (no other site
  frames ours; added to a response's own policy) and `Referrer-Policy: no-referrer`;
- gzip for clients that accept it (streamed responses are compressed chunk by chunk, never
  buffered whole), and CORS for GET: Starlette's middlewares, entered only by the requests
  that need them (an `Origin`, or gzip accepted).

CORS lets pages on other origins read the data. The allowed origins are a setting,
`CORS_ORIGINS`, `*` by default: the data is public open data, every route is a read-only GET
that needs no credential or cookie, so a page elsewhere learns nothing it could not fetch with
curl; CORS exists to protect credentialed requests, and `*` never allows those.
"""

from __future__ import annotations

import time

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consumption.config import Settings
from consumption.web.metrics import Metrics

MAX_TARGET = 8 * 1024
MAX_HEADERS = 32 * 1024
GZIP_LEVEL = 6  # gzip's own default rather than Starlette's 9: far faster for a few % more bytes
FRAME_ANCESTORS = b"frame-ancestors 'none'"
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with the security headers added, a response's own policy kept."""
    policy = None
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"content-security-policy":
            policy = index
            if b"frame-ancestors" not in value:
                headers[index] = (name, value.rstrip(b"; ") + b"; " + FRAME_ANCESTORS)
    if policy is None:
        headers.append((b"content-security-policy", FRAME_ANCESTORS))
    headers.extend(SECURITY_HEADERS)
    return headers


def too_long(status: int, what: str, limit: int) -> JSONResponse:
    message = f"the request's {what} longer than {limit} bytes"
    return JSONResponse({"error": message}, status_code=status, headers={"connection": "close"})


class Edge:
    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics) -> None:
        self.plain = app
        self.metrics = metrics
        self.full = CORSMiddleware(
            GZipMiddleware(app, minimum_size=1024, compresslevel=GZIP_LEVEL),
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET"],
            allow_headers=["If-None-Match"],
            expose_headers=["ETag", "Content-Disposition"],
            max_age=86_400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.plain(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        try:
            await self.inner(scope)(scope, receive, send_with_headers)
        finally:
            self.metrics.observe(scope["path"], status, time.perf_counter() - started)

    def inner(self, scope: Scope) -> ASGIApp:
        """What answers: a 414 or 431, the app through CORS and gzip, or the app alone."""
        if len(scope["raw_path"]) + len(scope["query_string"]) > MAX_TARGET:
            return too_long(414, "path and query are", MAX_TARGET)
        size, full = 0, False
        for name, value in scope["headers"]:
            size += len(name) + len(value)
            full = full or name == b"origin" or (name == b"accept-encoding" and b"gzip" in value)
        if size > MAX_HEADERS:
            return too_long(431, "headers are", MAX_HEADERS)
        return self.full if full else self.plain
