"""The composition root: the store, the RTE client and the app, built from the settings,
and the server that runs them. `cli.py` parses the command line and calls these.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import resource
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette

from consumption.config import Settings
from consumption.domain import Archive, Store
from consumption.domain.clock import PARIS
from consumption.eco2mix.download import RteClient, remove_partial_downloads
from consumption.eco2mix.parser import ReadLimits
from consumption.logs import configure_logging
from consumption.services import refresh
from consumption.services.refresh import FetchReport, OnDownload
from consumption.services.schedule import run_schedule
from consumption.services.startup import StartupReport, build_or_update
from consumption.storage.repository import SqliteStore
from consumption.web.app import create_app
from consumption.web.head_limits import BoundedHead

log = logging.getLogger("consumption")

BACKLOG = 2048  # connections the kernel queues before the server accepts them


def rte_client(settings: Settings) -> RteClient:
    """RTE's download server with the settings' limits; use it as `async with rte_client(…)`."""
    megabytes = settings.download_max_mb * 1024 * 1024
    return RteClient(settings.rte_base_url, settings.http_timeout, settings.download_deadline, megabytes)


async def fetch_from_rte(
    settings: Settings, years: tuple[int, int] | None = None, on_download: OnDownload | None = None
) -> FetchReport:
    """Fetch `years` (first, last) from RTE, or, without them, refresh what is missing or changes."""
    remove_partial_downloads(settings.data_dir, settings.download_deadline)

    def archives(store: Store) -> list[Archive]:
        if years:
            return refresh.archives_to_fetch(*years)
        return refresh.archives_to_refresh(store.points, PARIS.today())

    open_store = functools.partial(SqliteStore.open, settings.database_path)
    limits = ReadLimits.from_megabytes(settings.file_max_mb)
    async with rte_client(settings) as rte:
        return await refresh.fetch_archives(open_store, rte, archives, settings.data_dir, on_download, limits)


def prepare_database(settings: Settings) -> StartupReport | None:
    """Before serving: build an empty database from the embedded history and DATA_DIR's
    files, or import DATA_DIR's new files into an existing one, skipping those that fail.
    RTE is asked afterwards, in the background."""
    limits = ReadLimits.from_megabytes(settings.file_max_mb)
    try:
        with contextlib.closing(SqliteStore.open(settings.database_path)) as store:
            return build_or_update(store, settings.history_dir, settings.data_dir, limits)
    except Exception as error:  # not our database, a full disk, a lock another process holds: serve what is there
        log.error("cannot open, create or update the database, nothing was written: %s", error)
        return None


def build_app(settings: Settings, startup: StartupReport | None = None) -> Starlette:
    """The web app, refreshing from RTE in the background (`schedule.run_schedule`): every
    REFRESH_INTERVAL when it is a period; when it is `once`, once after `serve` starts
    (`startup` given, or one worker of several); never when it is off."""

    async def refresh_once() -> FetchReport:
        report = await fetch_from_rte(settings)
        for result in report.downloads:
            app.state.service.metrics.record_archive(result.archive.name, result.outcome.value)
        return report

    lock = settings.database_path.with_name(settings.database_path.name + ".refresh-lock")
    served = startup is not None or settings.workers > 1
    refreshes = settings.refresh_interval or (settings.refresh_at_start and served)
    background = [lambda: run_schedule(lock, settings.refresh_interval, refresh_once)] if refreshes else []
    app = create_app(settings, background, startup.describe() if startup else None)
    return app


def service_app() -> Starlette:
    """The app of one of several worker processes (WORKERS > 1): uvicorn imports it by name."""
    settings = Settings.from_environment()
    configure_logging(settings.log_level, settings.log_format)
    return build_app(settings)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`, taken before anything else starts, so that a busy
    port stops `serve` at once; `OSError` when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


def serve(settings: Settings, listener: socket.socket) -> int:
    """Prepare the database, then serve on `listener` until stopped; 3 when the server could not start."""
    host, port = listener.getsockname()[:2]
    remove_partial_downloads(settings.data_dir, settings.download_deadline)
    startup = prepare_database(settings)
    # The hard limit on open files as the soft one: at 1,024, a thousand idle connections
    # used every descriptor and the next client was reset.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": settings.log_level.lower(),
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": BoundedHead,
        "access_log": settings.access_log,
        "timeout_keep_alive": 5,  # seconds an idle keep-alive connection is kept
        "backlog": BACKLOG,
        "log_config": None,  # uvicorn's loggers go through ours, in our format
    }
    access_log = "on" if settings.access_log else "off"
    address = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    log.info(
        "serving on %s with %d worker(s), %s, access log %s", address, settings.workers, options["loop"], access_log
    )
    if settings.workers > 1:  # each worker builds its app; start-up's report stays in this log
        listener.close()  # uvicorn's supervisor binds the address again, for its workers to share
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.run("consumption.bootstrap:service_app", factory=True, workers=settings.workers, **options)
        return 0
    server = uvicorn.Server(uvicorn.Config(build_app(settings, startup), **options))
    # Ctrl-C: uvicorn shuts down cleanly, then raises it again for its caller; here, nothing more to say.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    return 0 if server.started else 3
