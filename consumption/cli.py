"""The `consumption` command: import éCO2mix files, fetch them from RTE, serve the API."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consumption.config import Settings
from consumption.domain.paris_time import utc_to_paris
from consumption.eco2mix.download import (
    FIRST_DEFINITIVE_YEAR,
    Download,
    Outcome,
    RteClient,
    remove_partial_downloads,
)
from consumption.eco2mix.parser import Eco2mixError, ReadLimits
from consumption.logs import configure_logging
from consumption.services.importing import FileImport, import_paths
from consumption.services.refresh import FetchReport, OnDownload, fetch, refresh
from consumption.storage.database import DatabaseError
from consumption.storage.repository import SqliteStore

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from consumption.services.startup import StartupReport

log = logging.getLogger("consumption")


def _span(first: int | None, last: int | None) -> str:
    if first is None or last is None:
        return "no half-hour"
    return f"{utc_to_paris(first):%Y-%m-%d %H:%M} → {utc_to_paris(last):%Y-%m-%d %H:%M} Paris time"


def describe_file(imported: FileImport) -> str:
    """`name: France, real-time, 2026-02-01 00:00 → 2026-03-15 23:30 Paris time, N half-hours`."""
    s = imported.contents
    natures = "/".join(n.label for n in sorted(s.natures)) or "no nature"
    return (
        f"{s.source}: {s.perimeter or 'no perimeter'}, {natures}, {_span(s.first, s.last)}, "
        f"{s.half_hours} half-hours read, {imported.changed} new or changed"
    )


def run_import(settings: Settings, paths: Sequence[Path], database: Path | None) -> int:
    """Import in one transaction; each file is listed as read, and stored only once every file is read."""
    database_path = database or settings.database_path
    started = time.perf_counter()
    read: list[FileImport] = []

    def progress(imported: FileImport) -> None:
        read.append(imported)
        print(f"[{len(read)}] {describe_file(imported)}", flush=True)

    is_new = not database_path.exists()
    try:
        store = SqliteStore.open(database_path)
    except DatabaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    limits = ReadLimits.from_megabytes(settings.file_max_mb)
    try:
        report = import_paths(paths or [settings.data_dir], store, progress, limits)
    except (Eco2mixError, DatabaseError) as error:
        print(f"error: {error}", file=sys.stderr)
        store.close()
        if is_new:  # the file and its journals, which this run created
            for created in (database_path, *(Path(f"{database_path}{end}") for end in ("-journal", "-wal", "-shm"))):
                created.unlink(missing_ok=True)
        where = f"no database was created at {database_path}" if is_new else f"{database_path} is unchanged"
        if read:
            would = sum(imported.changed for imported in read)
            where = f"the {len(read)} files read before would have stored or updated {would} half-hours; {where}"
        print(f"nothing was imported: {where}", file=sys.stderr)
        return 1
    finally:
        store.close()  # closing twice is harmless
    print(
        f"total: {len(report.files)} files, {report.half_hours} half-hours read, "
        f"{report.changed} stored or updated in {database_path} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consumption",
        description="France's electricity consumption, half-hour by half-hour, from RTE's éCO2mix data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    importer = commands.add_parser(
        "import",
        help="import éCO2mix files and folders into the database: RTE's files (.xls, .zip), "
        "ODRÉ's CSV and JSON exports, re-saved copies; told apart by their content",
    )
    importer.add_argument("paths", nargs="*", type=Path, help="files and folders (default: DATA_DIR)")
    importer.add_argument("--database", type=Path, help="SQLite file (default: DATABASE_PATH)")

    this_year = dt.date.today().year
    fetcher = commands.add_parser(
        "fetch",
        help="download RTE's archives into DATA_DIR and import them",
        description="Download RTE's annual definitive archives for a range of years, then the current "
        "consolidated and real-time ones, into DATA_DIR (from RTE_BASE_URL), and import them into "
        "DATABASE_PATH. What has not changed since the last import is not downloaded again.",
    )
    fetcher.add_argument(
        "--from-year",
        type=int,
        default=FIRST_DEFINITIVE_YEAR,
        metavar="YEAR",
        help=f"first year whose definitive archive is fetched (default: {FIRST_DEFINITIVE_YEAR}, RTE's first)",
    )
    fetcher.add_argument(
        "--to-year",
        type=int,
        default=this_year,
        metavar="YEAR",
        help=f"last year whose definitive archive is fetched (default: this year, {this_year}; "
        "a year RTE has not published yet is not an error)",
    )
    commands.add_parser(
        "refresh",
        help="fetch what is missing or changes (definitive years not yet held, consolidated, real time)",
        description="Fetch from RTE (RTE_BASE_URL) what changes and import it into DATABASE_PATH: the "
        "real-time and consolidated archives, and the definitive archives it still needs. An absent or "
        "empty database is first built from the embedded history (HISTORY_DIR). Each request "
        "is conditional on what was imported last. Exits 1, naming each failed archive, when one fails. "
        "Meant for cron on hosts where the service does not refresh itself (REFRESH_INTERVAL=0).",
    )

    serve = commands.add_parser(
        "serve",
        help="build the database from the embedded history and DATA_DIR when empty, then serve the API",
    )
    serve.add_argument("--host", help="address to listen on (default: HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, 8000)")
    return parser


def print_download(index: int, total: int, result: Download) -> None:
    failed = "failed: " if result.outcome is Outcome.FAILED else ""
    print(f"[{index}/{total}] {result.archive.name}: {failed}{result.message}", flush=True)


def rte_client(settings: Settings) -> RteClient:
    return RteClient(
        settings.rte_base_url,
        settings.http_timeout,
        deadline=settings.download_deadline,
        max_bytes=settings.download_max_mb * 1024 * 1024,
    )


def fetch_from_rte(
    settings: Settings,
    years: tuple[int, int] | None = None,
    on_download: OnDownload | None = None,
) -> FetchReport:
    """Fetch `years` (first, last) from RTE, or, without them, refresh what changes."""
    remove_partial_downloads(settings.data_dir, settings.download_deadline)
    store = SqliteStore.open(settings.database_path)
    try:
        limits = ReadLimits.from_megabytes(settings.file_max_mb)
        with rte_client(settings) as rte:
            if years is None:
                return refresh(store, rte, settings.data_dir, on_download=on_download, limits=limits)
            return fetch(store, rte, settings.data_dir, *years, on_download=on_download, limits=limits)
    finally:
        store.close()


def run_fetch(settings: Settings, from_year: int | None, to_year: int | None) -> int:
    years = None
    if from_year is not None:
        if to_year is None or from_year > to_year:
            print(f"error: --from-year {from_year} is after --to-year {to_year}", file=sys.stderr)
            return 2
        years = (from_year, to_year)
    if years is None:  # `refresh`, from cron before the service ever started: history first
        prepare_database(settings)
    try:
        report = fetch_from_rte(settings, years, on_download=print_download)
    except DatabaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for result in report.with_outcome(Outcome.DOWNLOADED):
        print(f"{result.archive.name}: {result.message}")
    if not report.ok:
        print(f"error: {report.describe()}", file=sys.stderr)
        return 1
    print(report.describe())
    return 0


def prepare_database(settings: Settings) -> StartupReport | None:
    """Before serving: build an empty database from the embedded history and DATA_DIR's
    files, skipping those that fail. RTE is asked afterwards, in the background."""
    from consumption.services.startup import build_if_empty

    try:
        store = SqliteStore.open(settings.database_path)
    except DatabaseError as error:
        log.error("cannot open or create the database: %s", error)
        return None
    try:
        limits = ReadLimits.from_megabytes(settings.file_max_mb)
        return build_if_empty(store, settings.history_dir, settings.data_dir, limits)
    except Exception as error:  # a full disk, a database another process locks: serve what is there
        log.error("building the database failed, nothing was written: %s", error)
        return None
    finally:
        store.close()


def describe_startup(report: StartupReport | None) -> dict[str, object] | None:
    """What `/health` shows of start-up: whether it built the database, and what it skipped."""
    if report is None:
        return None
    return {
        "built": report.built,
        "files_imported": len(report.imported),
        "skipped": [{"file": s.name, "reason": s.reason} for s in report.skipped],
    }


def build_app(settings: Settings, startup: StartupReport | None = None) -> Starlette:
    """The web app, refreshing from RTE in the background: every REFRESH_INTERVAL when set
    (in one process of several), else once after each `serve` start-up."""
    from consumption.services.startup import refresh_in_background
    from consumption.web.app import BackgroundTask, create_app

    def refresh_once() -> FetchReport:
        report = fetch_from_rte(settings)
        for result in report.downloads:
            app.state.metrics.record_archive(result.archive.name, result.outcome.value)
        return report

    background: list[BackgroundTask] = []
    if settings.refresh_interval:
        background.append(lambda: refresh_in_one_process(settings, refresh_once))
    elif startup is not None:  # `serve` without a period: once per start, so a restart catches up
        background.append(lambda: refresh_in_background(refresh_once))
    app = create_app(settings, background)
    app.state.startup = describe_startup(startup)
    return app


async def refresh_in_one_process(settings: Settings, refresh_once: Callable[[], FetchReport]) -> None:
    """The periodic refresh, in the one server process that holds a lock file beside the
    database: with WORKERS > 1 the others wait, and one of them takes over if it exits."""
    import asyncio
    import fcntl

    from consumption.services.schedule import refresh_periodically

    lock_path = settings.database_path.with_name(settings.database_path.name + ".refresh-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)  # the refresh may create the database
    with lock_path.open("a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(min(settings.refresh_interval, 60))
        await refresh_periodically(settings.refresh_interval, refresh_once)


def service_app() -> Starlette:
    """The app of one of several worker processes (WORKERS > 1): uvicorn imports it by name."""
    settings = Settings.from_environment()
    configure_logging(settings.log_level, settings.log_format)
    return build_app(settings)


def raise_open_files_limit() -> None:
    """Take the hard limit on open files as the soft one: at 1,024, a thousand idle
    connections used every descriptor and the next client was reset."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run_serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from consumption.web.http_protocol import BoundedHttpProtocol

    remove_partial_downloads(settings.data_dir, settings.download_deadline)
    startup = prepare_database(settings)
    raise_open_files_limit()
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    log.info(
        "serving with %d worker(s), %s, httptools, access log %s",
        settings.workers,
        loop,
        "on" if settings.access_log else "off",
    )
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "loop": loop,
        "http": BoundedHttpProtocol,
        "access_log": settings.access_log,
        "timeout_keep_alive": 5,  # seconds an idle keep-alive connection is kept
        "backlog": 2048,
        # JSON: uvicorn's loggers go through ours; text: uvicorn's own format.
        "log_config": None if settings.log_format == "json" else LOGGING_CONFIG,
    }
    if settings.workers > 1:  # each worker builds its app; start-up's report stays in this log
        uvicorn.run("consumption.cli:service_app", factory=True, workers=settings.workers, **options)
    else:
        uvicorn.run(build_app(settings, startup), **options)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
    except ValueError as error:  # starlette's Config names the setting and its value
        print(f"error: invalid setting: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "import":
        return run_import(settings, args.paths, args.database)
    if args.command == "fetch":
        return run_fetch(settings, args.from_year, args.to_year)
    if args.command == "refresh":
        return run_fetch(settings, None, None)
    if args.command == "serve":
        return run_serve(settings, args.host, args.port)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
