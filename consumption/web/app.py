"""The HTTP API: `GET /consumption` (JSON or CSV, half hours or buckets),
`/consumption/latest`, the page at `/` (web/page.py), `/health`, `/ready`, `/openapi.json`,
the API explorer at `/docs` and `/metrics` (Prometheus). It only reads: the background
refresh, when there is one, is given to `create_app` by the command line.

    consumption serve        # or: uvicorn --factory consumption.bootstrap:service_app
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from consumption.config import Settings
from consumption.domain.clock import PARIS
from consumption.eco2mix.names import years_by_source
from consumption.storage.reader import ConsumptionReader, DatabaseUnavailable, SnapshotChanged
from consumption.web.aggregates import render_aggregates
from consumption.web.errors import EXCEPTION_HANDLERS, error_response
from consumption.web.gaps import get_gaps
from consumption.web.head_limits import HeadLimits
from consumption.web.headers import SecurityHeaders
from consumption.web.http_cache import caching_headers, matches
from consumption.web.latest import get_latest
from consumption.web.metrics import Metrics, MetricsMiddleware
from consumption.web.middleware import EdgeMiddleware
from consumption.web.openapi import openapi_document
from consumption.web.page import PAGE_ROUTES
from consumption.web.params import read_parameters
from consumption.web.rendering import OUTPUT_FORMATS, render_body
from consumption.web.response_cache import ResponseCache

log = logging.getLogger(__name__)

# Bodies of at most this many half hours (a year: at most 2 MB of JSON) are built whole,
# cached and sent with their length; longer ones are streamed, never held in memory.
MAX_WHOLE_ROWS = 366 * 48


async def get_consumption(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    bodies: ResponseCache = request.app.state.bodies
    asked = read_parameters(request)
    resolved = asked.resolved()
    freshness = reader.freshness()
    headers = caching_headers(request, freshness, resolved)
    if matches(request, headers.get("ETag")):  # before any reading or rendering
        return Response(status_code=304, headers=headers)
    if asked.output == "csv":
        time_range = asked.time_range
        name = f"consumption_{time_range.start_text[:10]}_{time_range.end_text[:10]}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    media_type = OUTPUT_FORMATS[asked.output].media_type
    body = bodies.get(freshness.generation, resolved)
    if body is not None:
        return Response(body, media_type=media_type, headers=headers)
    query = reader.range(asked.time_range.start, asked.time_range.end, counted=asked.interval == "half-hour")
    # The tag of what this snapshot holds: an import may have committed since `freshness`.
    headers.update(caching_headers(request, query.freshness, resolved))
    chunks = render_body(asked, query) if asked.interval == "half-hour" else render_aggregates(asked, query)
    if query.count > MAX_WHOLE_ROWS:
        return StreamingResponse(paced(chunks, request.url.path), media_type=media_type, headers=headers)
    body = "".join(chunks).encode()
    bodies.put(query.freshness.generation, resolved, body)
    return Response(body, media_type=media_type, headers=headers)


async def paced(chunks: Iterator[str], path: str) -> AsyncIterator[bytes]:
    """The chunks of a long body, each rendered in a turn of its own of the event loop.

    Starlette's StreamingResponse sends each chunk once uvicorn's buffer for the
    connection has drained (a slow reader holds back its own stream and nothing else)
    and cancels the stream when the client disconnects. A stream whose data changed
    under it (`SnapshotChanged`) is cut without its last chunk: the client sees an
    incomplete response rather than a complete-looking mix of two versions.
    """
    sent, complete = 0, False
    try:
        for chunk in chunks:
            body = chunk.encode()
            yield body
            sent += len(body)
            await asyncio.sleep(0)  # the other requests' turn
        complete = True
    except (SnapshotChanged, DatabaseUnavailable) as error:
        log.warning("stream of %s cut after %d bytes: %s", path, sent, error)
        raise
    finally:
        if not complete:
            log.info("stream of %s stopped after %d bytes", path, sent)
        if isinstance(chunks, Generator):
            chunks.close()


async def get_health(request: Request) -> Response:
    reader: ConsumptionReader = request.app.state.reader
    status = await reader.status()
    return JSONResponse(
        {
            "status": "ok" if status.count else "empty",
            "half_hours": status.count,
            "first": PARIS.isoformat(status.first) if status.first is not None else None,
            "last": PARIS.isoformat(status.last) if status.last is not None else None,
            "refresh": None
            if status.refresh is None
            else {
                "time": PARIS.isoformat(status.refresh.finished_at),
                "ok": status.refresh.ok,
                "summary": status.refresh.report,
            },
            "years": years_by_source((name for name, _ in status.archives), status.years),
            "startup": request.app.state.startup,
        }
    )


async def get_ready(request: Request) -> Response:
    """Ready to serve when the database holds data: for load balancers' readiness checks."""
    reader: ConsumptionReader = request.app.state.reader
    if reader.freshness().last is None:
        return error_response(503, "no data yet: the database is empty; see /health for the last fetch")
    return JSONResponse({"ready": True})


async def get_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


BackgroundTask = Callable[[], Coroutine[Any, Any, object]]


def _log_failure(task: asyncio.Task[object]) -> None:
    """A background task (the refresh) is meant to run as long as the app: say if it died."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("background task %s stopped: %r", task.get_coro(), error, exc_info=error)


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
    app = Starlette(
        routes=[*routes, Route("/metrics", metrics.endpoint, methods=["GET"])],
        # Outermost first. A 500 is answered outside them all: `errors.server_error` adds its headers.
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(HeadLimits),
            Middleware(EdgeMiddleware, settings=settings),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.startup = None  # what start-up did, when the CLI built the database (see /health)
    app.state.reader = reader
    app.state.bodies = ResponseCache(settings.render_cache_mb * 1024 * 1024)
    app.state.settings = settings
    return app
