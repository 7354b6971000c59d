"""The page at `/`: one HTML file, its script and its style sheet, all served from the
package, under a Content-Security-Policy that allows nothing inline and nothing from
elsewhere."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

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


# Revalidated on every use, so that a new version's page never runs an old script.
REVALIDATE = {"Cache-Control": "no-cache"}


async def get_page(request: Request) -> Response:
    headers = {**REVALIDATE, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    return FileResponse(HERE / "index.html", media_type="text/html", headers=headers)


async def get_page_script(request: Request) -> Response:
    return FileResponse(HERE / "page.js", media_type="text/javascript", headers=REVALIDATE)


async def get_page_style(request: Request) -> Response:
    return FileResponse(HERE / "page.css", media_type="text/css", headers=REVALIDATE)


PAGE_ROUTES = [
    Route("/", get_page, methods=["GET"]),
    Route("/page.js", get_page_script, methods=["GET"]),
    Route("/page.css", get_page_style, methods=["GET"]),
]
