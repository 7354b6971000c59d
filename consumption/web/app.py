"""The HTTP API: `GET /consumption` (JSON or CSV, half hours or buckets),
`/consumption/latest`, the page at `/` (web/page.py), `/health`, `/ready`, `/openapi.json`,
the API explorer at `/docs` and `/metrics` (Prometheus). It only reads: the background
refresh, when there is one, is given to `create_app` by the command line.

    consumption serve        # or: uvicorn --factory consumption.cli:service_app
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from consumption.config import Settings
from consumption.domain.paris_time import paris_isoformat, utc_to_paris
from consumption.eco2mix.names import years_by_source
from consumption.storage.reader import (
    ROWS_PER_FETCH,
    ConsumptionReader,
    DatabaseUnavailable,
    Freshness,
    SnapshotChanged,
)
from consumption.web.aggregates import render_aggregates
from consumption.web.errors import EXCEPTION_HANDLERS, error_response
from consumption.web.gaps import get_gaps
from consumption.web.headers import SecurityHeaders
from consumption.web.http_cache import cache_control, caching_headers, entity_tag, matches
from consumption.web.latest import latest_body
from consumption.web.metrics import Metrics, MetricsMiddleware
from consumption.web.middleware import http_middleware
from consumption.web.openapi import openapi_document
from consumption.web.page import PAGE_ROUTES
from consumption.web.params import BadParameter, read_parameters
from consumption.web.rendering import OUTPUT_FORMATS, RenderedDayCache, render_body
from consumption.web.response_cache import (
    MAX_RESPONSE_BYTES,
    MAX_ROW_BYTES,
    PreparedResponse,
    ResponseCache,
    cache_key,
)
from consumption.web.streaming import RenderTurns, TextStream

log = logging.getLogger(__name__)


async def get_consumption(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    responses: ResponseCache = request.app.state.responses
    refresh_interval: int = request.app.state.settings.refresh_interval
    key = cache_key(request.scope)
    try:
        freshness = reader.freshness()
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    cached = responses.get(freshness.generation, key)
    if cached is not None:  # the same query on the same data: no parsing, reading or rendering
        return revalidated(request, cached, freshness, refresh_interval)
    try:
        asked = read_parameters(request)
    except BadParameter as error:
        return error_response(400, str(error))
    time_range, output = asked.time_range, asked.output
    resolved = (time_range.start, time_range.end, asked.interval, asked.clock.name, output)
    tag = entity_tag(freshness.generation, resolved)
    if matches(request, tag):  # before any reading or rendering
        headers = {"Vary": "Accept", **caching_headers(tag, freshness, refresh_interval)}
        return Response(status_code=304, headers=headers)
    try:
        query = reader.range(time_range.start, time_range.end, counted=asked.interval == "half-hour")
    except DatabaseUnavailable as error:
        return error_response(503, str(error))
    output_format = OUTPUT_FORMATS[output]
    # The tag of what this snapshot holds: an import may have committed since `freshness`.
    tag = entity_tag(query.generation, resolved)
    headers = {"Vary": "Accept", **caching_headers(tag, query.freshness, refresh_interval)}
    if output == "csv":
        name = f"consumption_{time_range.start_text[:10]}_{time_range.end_text[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if asked.interval == "half-hour":
        chunks = render_body(asked, query, output_format, request.app.state.rendered)
    else:
        chunks = render_aggregates(asked, query)
    if query.count <= ROWS_PER_FETCH:
        # A short range: a plain response, which costs much less than a stream
        # (measured: 2x the requests/s on a one-day range); its size is bounded.
        try:
            body = "".join(chunks)
        except (DatabaseUnavailable, SnapshotChanged) as error:
            return error_response(503, f"{error}; try again")
        response = Response(body, media_type=output_format.media_type, headers=headers)
        responses.put(query.generation, key, response)
        return response
    stream = TextStream(chunks, request.app.state.render_turns, output_format.media_type, headers)
    if query.count * MAX_ROW_BYTES <= MAX_RESPONSE_BYTES and responses.start_keeping():
        stream.keep_for(functools.partial(responses.put_body, query.generation, key), responses.stop_keeping)
    return stream


def revalidated(request: Request, cached: PreparedResponse, freshness: Freshness, refresh_interval: int) -> Response:
    """A cached response as of now: 304 when the client holds it, its Cache-Control renewed."""
    headers = MutableHeaders(raw=cached.raw_headers)
    headers["Cache-Control"] = cache_control(freshness, refresh_interval)
    tag = headers.get("etag")
    if matches(request, tag):
        kept = {name: headers[name] for name in ("etag", "cache-control", "vary") if name in headers}
        return Response(status_code=304, headers=kept)
    return cached


async def get_latest(request: Request) -> Response:
    return latest_body(request)


async def get_health(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    try:
        status = await reader.status()
    except DatabaseUnavailable as error:
        return JSONResponse({"status": "unavailable", "error": str(error)}, status_code=503)
    return JSONResponse(
        {
            "status": "ok" if status.count else "empty",
            "half_hours": status.count,
            "first": paris_isoformat(status.first) if status.first is not None else None,
            "last": paris_isoformat(status.last) if status.last is not None else None,
            "refresh": None
            if status.refresh is None
            else {
                "time": paris_isoformat(status.refresh.finished_at),
                "ok": status.refresh.ok,
                "summary": status.refresh.report,
            },
            "years": years_by_source(
                (name for name, _ in status.archives),
                utc_to_paris(status.last).year if status.last is not None else None,
            ),
            "startup": request.app.state.startup,
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


BackgroundTask = Callable[[], Coroutine[Any, Any, None]]


def _log_failure(task: asyncio.Task[None]) -> None:
    """A background task (the refresh) is meant to run as long as the app: say if it died."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background task %s stopped: %r", task.get_coro(), error, exc_info=error)


class ConsumptionApp(Starlette):
    """Starlette, with the security headers outside even its error handling: a 500 has them too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(settings: Settings | None = None, background: Sequence[BackgroundTask] = ()) -> Starlette:
    """The ASGI app, reading the database that `settings` name; `background` tasks run
    for as long as the app does (the CLI gives it the periodic refresh)."""
    settings = settings or Settings.from_environment()
    reader = ConsumptionReader(settings.database_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        log.info("serving consumption from %s", settings.database_path)
        tasks = [asyncio.create_task(task()) for task in background]
        for task in tasks:
            task.add_done_callback(_log_failure)
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        reader.close()

    routes = [
        *PAGE_ROUTES,
        Route("/consumption", get_consumption, methods=["GET"]),
        Route("/consumption/latest", get_latest, methods=["GET"]),
        Route("/consumption/gaps", get_gaps, methods=["GET"]),
        Route("/health", get_health, methods=["GET"]),
        Route("/ready", get_ready, methods=["GET"]),
        Route("/openapi.json", get_openapi, methods=["GET"]),
    ]
    metrics = Metrics(reader, [route.path for route in routes] + ["/metrics"])
    app = ConsumptionApp(
        routes=[*routes, Route("/metrics", metrics.endpoint, methods=["GET"])],
        middleware=[Middleware(MetricsMiddleware, metrics=metrics), *http_middleware(settings)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.startup = None  # what start-up did, when the CLI built the database (see /health)
    app.state.reader = reader
    app.state.rendered = RenderedDayCache(settings.render_cache_mb * 1024 * 1024)
    app.state.render_turns = RenderTurns()
    app.state.responses = ResponseCache()
    app.state.settings = settings
    return app
