"""The `consumption` command: import éCO2mix files, fetch them from RTE, serve the API."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from consumption.config import Settings
from consumption.domain.paris_time import utc_to_paris
from consumption.eco2mix.download import (
    FIRST_DEFINITIVE_YEAR,
    Download,
    Outcome,
    RteClient,
    remove_partial_downloads,
)
from consumption.eco2mix.parser import Eco2mixError
from consumption.services.importing import FileImport, import_paths
from consumption.services.refresh import FetchReport, OnDownload, fetch, refresh
from consumption.storage.database import DatabaseError
from consumption.storage.repository import SqliteStore

if TYPE_CHECKING:
    from starlette.applications import Starlette

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
        with rte_client(settings) as rte:
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
    from consumption.services.schedule import refresh_periodically
    from consumption.web.app import BackgroundTask, create_app

    background: list[BackgroundTask] = []
    if settings.refresh_interval:
        background.append(lambda: refresh_periodically(settings.refresh_interval, lambda: fetch_from_rte(settings)))
    return create_app(settings, background)


def run_serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn

    remove_partial_downloads(settings.data_dir, settings.download_deadline)
    prepare_database(settings)
    uvicorn.run(
        build_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
    except ValueError as error:  # starlette's Config names the setting and its value
        print(f"error: invalid setting: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
