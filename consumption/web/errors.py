"""Every failure as JSON, `{"error": "…"}`, its status decided here and only here."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consumption.storage.reader import DatabaseUnavailable, SnapshotChanged
from consumption.web.middleware import with_security_headers
from consumption.web.params import BadParameter

log = logging.getLogger(__name__)


def error_response(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 and 405, said in words that point to what exists."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    messages = {
        404: f"no such path {path!r}; the data is at /consumption, the page at /",
        405: f"method {request.method} is not allowed on {path}; use GET",
    }
    return error_response(exc.status_code, messages.get(exc.status_code, exc.detail), exc.headers)


async def bad_parameter(request: Request, exc: Exception) -> Response:
    return error_response(400, str(exc))


async def unavailable(request: Request, exc: Exception) -> Response:
    """The database is missing, empty (for /ready), unreadable or too slow, or changed under a
    read: one 503 on every path; the message names the file, never its path."""
    return JSONResponse({"status": "unavailable", "error": f"{exc}; try again"}, status_code=503)


async def server_error(request: Request, exc: Exception) -> Response:
    """Starlette answers this outside every middleware: the security headers are added here."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    response = error_response(500, "internal error; it has been logged")
    with_security_headers(response.raw_headers)
    return response


EXCEPTION_HANDLERS = {
    HTTPException: http_error,
    BadParameter: bad_parameter,
    DatabaseUnavailable: unavailable,
    SnapshotChanged: unavailable,
    Exception: server_error,
}
