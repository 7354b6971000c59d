"""What wraps every response: gzip for clients that accept it (streamed responses are
compressed chunk by chunk, never buffered whole), and CORS for GET.

CORS lets pages on other origins read the data. The allowed origins are a setting,
`CORS_ORIGINS`, `*` by default: the data is public open data, every route is a
read-only GET that needs no credential or cookie, so a page elsewhere learns nothing
it could not fetch with curl; CORS exists to protect credentialed requests, and `*`
never allows those.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from consumption.config import Settings

# gzip's own default rather than Starlette's 9: far faster for a few % more bytes
# (docs/benchmarks.md).
GZIP_LEVEL = 6


class EdgeMiddleware:
    """Starlette's CORS and GZip middleware, entered only by the requests that need them (an
    `Origin`, or gzip accepted): the others skip two layers, a cost short requests feel."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.plain = app
        compressed = GZipMiddleware(app, minimum_size=1024, compresslevel=GZIP_LEVEL)
        self.full = CORSMiddleware(
            compressed,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET"],
            allow_headers=["If-None-Match"],
            expose_headers=["ETag", "Content-Disposition"],
            max_age=86_400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"origin" or (name == b"accept-encoding" and b"gzip" in value):
                    await self.full(scope, receive, send)
                    return
        await self.plain(scope, receive, send)
