"""The pages: the curve at `/` and the API explorer at `/docs`, each one HTML file, its
script and its style sheet, all served from the package, under a Content-Security-Policy
that allows nothing inline and nothing from elsewhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from consumption.web.static import static_page

HERE = Path(__file__).parent

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


def _html(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def get_html(request: Request) -> Response:
        return static_page(request, HERE / name, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    return get_html


def _file(name: str, media_type: str) -> Callable[[Request], Awaitable[Response]]:
    async def get_file(request: Request) -> Response:
        return static_page(request, HERE / name, media_type)

    return get_file


SCRIPT, STYLE = "text/javascript; charset=utf-8", "text/css; charset=utf-8"

PAGE_ROUTES = [
    Route("/", _html("index.html"), methods=["GET"]),
    Route("/page.js", _file("page.js", SCRIPT), methods=["GET"]),
    Route("/page.css", _file("page.css", STYLE), methods=["GET"]),
    Route("/docs", _html("docs.html"), methods=["GET"]),
    Route("/docs.js", _file("docs.js", SCRIPT), methods=["GET"]),
    Route("/docs.css", _file("docs.css", STYLE), methods=["GET"]),
]
