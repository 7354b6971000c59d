"""The pages: the curve at `/` and the API explorer at `/docs`, each one HTML file, its
script and its style sheet, all served from the package, under a Content-Security-Policy
that allows nothing inline and nothing from elsewhere.

Each file has a strong `ETag` of its bytes, so that a browser revalidates it on every use
(a new version never runs an old script) and gets a 304."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consumption.web.http_cache import matches

HERE = Path(__file__).parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
MEDIA_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}  # all in UTF-8


@functools.cache
def _read(name: str) -> tuple[bytes, str]:
    body = (HERE / name).read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


def _file(name: str) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of the package's file `name`; an HTML page carries the policy."""
    suffix = Path(name).suffix
    headers = {"Cache-Control": "no-cache"}
    if suffix == ".html":
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY

    async def get_file(request: Request) -> Response:
        body, tag = _read(name)
        if matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers={**headers, "ETag": tag})
        return Response(body, media_type=f"{MEDIA_TYPES[suffix]}; charset=utf-8", headers={**headers, "ETag": tag})

    return get_file


PAGE_ROUTES = [
    Route("/", _file("index.html"), methods=["GET"]),
    Route("/docs", _file("docs.html"), methods=["GET"]),
    *(Route(f"/{name}", _file(name), methods=["GET"]) for name in ("page.js", "page.css", "docs.js", "docs.css")),
]
