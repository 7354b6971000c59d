"""The package's HTML pages (the curve at `/`, the API explorer at `/docs`), with a strong
`ETag` of their bytes, so that a browser revalidates them and gets a 304."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from consumption.web.http_cache import matches


@functools.cache
def _page(path: Path) -> tuple[bytes, str]:
    body = path.read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:20]}"'


def static_page(request: Request, path: Path) -> Response:
    body, tag = _page(path)
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if matches(request, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)
