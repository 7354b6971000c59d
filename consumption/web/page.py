"""The page at `/`: one HTML file, its script and its style sheet, all served from the
package, under a Content-Security-Policy that allows nothing inline and nothing from
elsewhere."""

from __future__ import annotations

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


async def get_page(request: Request) -> Response:
    return static_page(request, HERE / "index.html", headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


async def get_page_script(request: Request) -> Response:
    return static_page(request, HERE / "page.js", "text/javascript; charset=utf-8")


async def get_page_style(request: Request) -> Response:
    return static_page(request, HERE / "page.css", "text/css; charset=utf-8")


PAGE_ROUTES = [
    Route("/", get_page, methods=["GET"]),
    Route("/page.js", get_page_script, methods=["GET"]),
    Route("/page.css", get_page_style, methods=["GET"]),
]
