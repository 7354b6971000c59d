"""The HTTP API: `GET /consumption` (JSON or CSV), the page at `/`, `/health`, `/ready`
and `/openapi.json`.

    uvicorn consumption.api:app        # or: consumption serve
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from consumption.config import Settings
from consumption.domain.paris_time import paris_isoformat
from consumption.openapi import openapi_document
from consumption.scheduler import refresh_periodically
from consumption.rendering import RENDERINGS, BlockCache, render_body
from consumption.sqlite_reader import ROWS_PER_FETCH, ConsumptionReader, DatabaseUnavailable
from consumption.time_range import BadParameter, TimeRange, parse_time_range

log = logging.getLogger(__name__)

QUERY_PARAMETERS = ("start", "end", "format")
FORMATS = ("json", "csv")
PAGE = Path(__file__).with_name("web") / "index.html"


def error_response(status_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code, headers=headers)


def read_parameters(request: Request) -> tuple[TimeRange, str]:
    """The time range and the format (`json` or `csv`) a request asks for."""
    params = request.query_params
    for name in params:
        if name not in QUERY_PARAMETERS:
            raise BadParameter(name, "unknown parameter; expected start, end and optionally format")
    values = {}
    for name in QUERY_PARAMETERS:
        given = params.getlist(name)
        if len(given) > 1:
            raise BadParameter(name, f"given {len(given)} times; give it once")
        values[name] = given[0].strip() if given else ""
    output = values["format"].lower() or preferred_format(request.headers.get("accept", ""))
    if output not in FORMATS:
        raise BadParameter("format", f"{values['format'][:64]!r} is not a format; expected json or csv")
    return parse_time_range(values["start"], values["end"]), output


def _quality(accept: str, media_type: str) -> float:
    """How much an Accept header wants `media_type` (0 to 1), by its most specific range."""
    best, specificity = 0.0, -1
    kind = media_type.split("/")[0]
    for item in accept.split(","):
        range_, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(range_.lower(), -1)
        if rank > specificity:
            best, specificity = quality, rank
    return best


def preferred_format(accept: str) -> str:
    """CSV when the Accept header prefers text/csv to application/json; JSON otherwise."""
    if "csv" in accept and _quality(accept, "text/csv") > _quality(accept, "application/json"):
        return "csv"
    return "json"


async def stream(chunks: Iterator[str], stack: contextlib.ExitStack) -> AsyncIterator[str]:
    """Send a long range chunk by chunk; the event loop serves other requests in between."""
    with stack:  # releases the database connection, however the stream ends
        for chunk in chunks:
            yield chunk


async def get_consumption(request: Request) -> Response:
    try:
        time_range, output = read_parameters(request)
    except BadParameter as error:
        return error_response(400, str(error))
    reader: ConsumptionReader = request.app.state.reader
    stack = contextlib.ExitStack()
    try:
        query = stack.enter_context(reader.range(time_range.start, time_range.end))
    except DatabaseUnavailable as error:
        stack.close()
        return error_response(503, str(error))
    rendering = RENDERINGS[output]
    headers = {"Vary": "Accept"}
    if output == "csv":
        name = f"consumption_{time_range.start_text[:10]}_{time_range.end_text[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    chunks = render_body(time_range, query, rendering, request.app.state.rendered)
    if query.count <= ROWS_PER_FETCH:
        # A short range: a plain response, which costs much less than a stream
        # (measured: 2x the requests/s on a one-day range); its size is bounded.
        with stack:
            body = "".join(chunks)
        return Response(body, media_type=rendering.media_type, headers=headers)
    return StreamingResponse(stream(chunks, stack), media_type=rendering.media_type, headers=headers)


async def get_page(request: Request) -> Response:
    return FileResponse(PAGE, media_type="text/html")


async def get_health(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    try:
        summary = await reader.summary()
    except DatabaseUnavailable as error:
        return JSONResponse({"status": "unavailable", "error": str(error)}, status_code=503)
    return JSONResponse(
        {
            "status": "ok" if summary.count else "empty",
            "half_hours": summary.count,
            "first": paris_isoformat(summary.first) if summary.first is not None else None,
            "last": paris_isoformat(summary.last) if summary.last is not None else None,
            "refresh": None
            if summary.refresh is None
            else {
                "time": paris_isoformat(summary.refresh.finished_at),
                "ok": summary.refresh.ok,
                "summary": summary.refresh.summary,
            },
        }
    )


async def get_ready(request: Request) -> Response:
    """Ready to serve when the database holds data: for load balancers' readiness checks."""
    reader: ConsumptionReader = request.app.state.reader
    try:
        ready = await reader.has_data()
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    if not ready:
        return error_response(503, "no data yet: the database is empty; see /health for the last fetch")
    return JSONResponse({"ready": True})


async def get_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such path {request.url.path!r}; the data is at /consumption, the page at /"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}; use GET"
    else:
        message = exc.detail
    return error_response(exc.status_code, message, exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error; it has been logged")


def create_app(settings: Settings | None = None) -> Starlette:
    """The ASGI app, reading the database that `settings` name."""
    settings = settings or Settings.from_environment()
    reader = ConsumptionReader(settings.database_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("serving consumption from %s", settings.database_path)
        refreshing = None
        if settings.refresh_interval:
            refreshing = asyncio.create_task(refresh_periodically(settings))
        yield
        if refreshing is not None:
            refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refreshing
        reader.close()

    app = Starlette(
        routes=[
            Route("/", get_page, methods=["GET"]),
            Route("/consumption", get_consumption, methods=["GET"]),
            Route("/health", get_health, methods=["GET"]),
            Route("/ready", get_ready, methods=["GET"]),
            Route("/openapi.json", get_openapi, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.reader = reader
    app.state.rendered = BlockCache(settings.render_cache_mb * 1024 * 1024)
    app.state.settings = settings
    return app


app = create_app()
