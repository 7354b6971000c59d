"""The `consumption` command: import éCO2mix files, fetch them from RTE, serve the API."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consumption.config import Settings
from consumption.domain.paris_time import utc_to_paris
from consumption.eco2mix.download import FIRST_DEFINITIVE_YEAR, Download, Outcome, RteClient
from consumption.eco2mix.parser import Eco2mixError
from consumption.services.importing import FileImport, import_paths
from consumption.services.refresh import FetchReport, OnDownload, fetch, refresh
from consumption.storage.database import DatabaseError
from consumption.storage.repository import SqliteStore

if TYPE_CHECKING:
    from starlette.applications import Starlette

log = logging.getLogger("consumption")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
        f"{s.half_hours} half-hours read, {imported.changed} stored or updated"
    )


def run_import(settings: Settings, paths: Sequence[Path], database: Path | None) -> int:
    database_path = database or settings.database_path
    started = time.perf_counter()
    count = 0

    def progress(imported: FileImport) -> None:
        nonlocal count
        count += 1
        print(f"[{count}] {describe_file(imported)}", flush=True)

    try:
        store = SqliteStore.open(database_path)
    except DatabaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        report = import_paths(paths or [settings.data_dir], store, progress)
    except Eco2mixError as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"nothing was imported; {database_path} is unchanged", file=sys.stderr)
        return 1
    finally:
        store.close()
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
        "import", help="import éCO2mix files (.xls, .csv, .zip) and folders into the database"
    )
    importer.add_argument("paths", nargs="*", type=Path, help="files and folders (default: DATA_DIR)")
    importer.add_argument("--database", type=Path, help="SQLite file (default: DATABASE_PATH)")

    this_year = dt.date.today().year
    fetcher = commands.add_parser("fetch", help="download RTE's archives into DATA_DIR and import them")
    fetcher.add_argument("--from-year", type=int, default=FIRST_DEFINITIVE_YEAR)
    fetcher.add_argument("--to-year", type=int, default=this_year)
    commands.add_parser(
        "refresh",
        help="fetch what changes (real time, consolidated, last year's definitive) and import it",
    )

    serve = commands.add_parser("serve", help="build the database from DATA_DIR when absent, then serve the API")
    serve.add_argument("--host", help="address to listen on (default: HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, 8000)")
    return parser


def print_download(index: int, total: int, result: Download) -> None:
    failed = "failed: " if result.outcome is Outcome.FAILED else ""
    print(f"[{index}/{total}] {result.archive.name}: {failed}{result.message}", flush=True)


def fetch_from_rte(
    settings: Settings,
    years: tuple[int, int] | None = None,
    on_download: OnDownload | None = None,
) -> FetchReport:
    """Fetch `years` (first, last) from RTE, or, without them, refresh what changes."""
    store = SqliteStore.open(settings.database_path)
    try:
        with RteClient(settings.rte_base_url, settings.http_timeout) as rte:
            if years is None:
                return refresh(store, rte, settings.data_dir, on_download=on_download)
            return fetch(store, rte, settings.data_dir, *years, on_download=on_download)
    finally:
        store.close()


def run_fetch(settings: Settings, from_year: int | None, to_year: int | None) -> int:
    years = None
    if from_year is not None:
        if to_year is None or from_year > to_year:
            print(f"error: --from-year {from_year} is after --to-year {to_year}", file=sys.stderr)
            return 2
        years = (from_year, to_year)
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


def prepare_database(settings: Settings) -> None:
    """Before serving: fill an empty database from DATA_DIR's files, or else from RTE."""
    from consumption.services.startup import fill_if_empty

    try:
        store = SqliteStore.open(settings.database_path)
    except DatabaseError as error:
        log.error("cannot open or create the database: %s", error)
        return
    everything = (FIRST_DEFINITIVE_YEAR, dt.date.today().year)
    try:
        fill_if_empty(store, settings.data_dir, lambda: fetch_from_rte(settings, everything))
    finally:
        store.close()


def build_app(settings: Settings) -> Starlette:
    """The web app, with the periodic refresh from RTE when REFRESH_INTERVAL asks for one."""
    from consumption.web.app import BackgroundTask, create_app

    background: list[BackgroundTask] = []
    if settings.refresh_interval:
        background.append(lambda: refresh_in_one_process(settings))
    return create_app(settings, background)


async def refresh_in_one_process(settings: Settings) -> None:
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
        await refresh_periodically(settings.refresh_interval, lambda: fetch_from_rte(settings))


def service_app() -> Starlette:
    """The app of one of several worker processes (WORKERS > 1): uvicorn imports it by name."""
    settings = Settings.from_environment()
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
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

    from consumption.web.http_protocol import BoundedHttpProtocol

    prepare_database(settings)
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
    }
    if settings.workers > 1:
        uvicorn.run("consumption.cli:service_app", factory=True, workers=settings.workers, **options)
    else:
        uvicorn.run(build_app(settings), **options)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
    except ValueError as error:  # starlette's Config names the setting and its value
        print(f"error: invalid setting: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # our own log says what each request did
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
