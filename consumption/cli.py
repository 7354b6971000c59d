"""The `consumption` command: import éCO2mix files, fetch them from RTE, serve the API."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from consumption.config import MAX_PORT, Settings
from consumption.domain import Download, Outcome
from consumption.domain.clock import PARIS
from consumption.eco2mix.names import FIRST_DEFINITIVE_YEAR
from consumption.eco2mix.parser import Eco2mixError, FileContents, ReadLimits
from consumption.logs import configure_logging
from consumption.services.importing import ImportReport, import_paths
from consumption.storage.database import DatabaseError
from consumption.storage.repository import SqliteStore


def fail(message: str, status: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe_file(s: FileContents) -> str:
    """`name: France, real-time, 2026-02-01 00:00 → 2026-03-15 23:30 Paris time, N half-hours`."""
    natures = "/".join(n.label for n in sorted(s.natures)) or "no nature"
    span = "no half-hour"
    if s.first is not None and s.last is not None:
        span = f"{PARIS.local(s.first):%Y-%m-%d %H:%M} → {PARIS.local(s.last):%Y-%m-%d %H:%M} Paris time"
    return (
        f"{s.source}: {s.perimeter or 'no perimeter'}, {natures}, {span}, "
        f"{s.half_hours} half-hours read, {s.changed} new or changed"
    )


def run_import(settings: Settings, paths: Sequence[Path], database: Path | None) -> int:
    """Import in one transaction; each file is listed as read, and stored only once every file is read."""
    database_path = database or settings.database_path
    started = time.perf_counter()
    read = ImportReport()

    def progress(contents: FileContents) -> None:
        read.files.append(contents)
        print(f"[{len(read.files)}] {describe_file(contents)}", flush=True)

    is_new = not database_path.exists()
    new_folders = [folder for folder in database_path.parents if not folder.exists()]  # deepest first
    report = None
    try:
        with contextlib.closing(SqliteStore.open(database_path)) as store:
            report = import_paths(
                paths or [settings.data_dir], store, progress, ReadLimits.from_megabytes(settings.file_max_mb)
            )
    except (Eco2mixError, DatabaseError) as error:
        print(f"error: {error}", file=sys.stderr)
        where = f"no database was created at {database_path}" if is_new else f"{database_path} is unchanged"
        if read.files:
            files = plural(len(read.files), "file")
            where = f"the {files} read before would have stored or updated {read.changed} half-hours; {where}"
        print(f"nothing was imported: {where}", file=sys.stderr)
        return 1
    finally:
        if is_new and report is None:  # closed: SQLite has removed its journals (WAL)
            with contextlib.suppress(OSError):
                database_path.unlink(missing_ok=True)
                for folder in new_folders:
                    folder.rmdir()
    seconds = time.perf_counter() - started
    read_and_stored = f"{report.half_hours} half-hours read, {report.changed} stored or updated"
    print(f"total: {plural(len(report.files), 'file')}, {read_and_stored} in {database_path} ({seconds:.1f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consumption", description="France's electricity consumption, half-hour by half-hour, from RTE."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser(
        "import", help="import éCO2mix files, folders and zips (RTE's, ODRÉ's CSV and JSON, re-saved copies)"
    )
    importer.add_argument("paths", nargs="*", type=Path, help="files and folders (default: DATA_DIR)")
    importer.add_argument("--database", type=Path, help="SQLite file (default: DATABASE_PATH)")

    first, this_year = FIRST_DEFINITIVE_YEAR, PARIS.today().year
    fetcher = commands.add_parser(
        "fetch",
        help="download RTE's archives into DATA_DIR and import them",
        description="Download RTE's definitive archives of a range of years, then the current consolidated and "
        "real-time ones, into DATA_DIR, and import them into DATABASE_PATH; what is unchanged is not downloaded.",
    )
    year_help = "year whose definitive archive is fetched (default:"
    fetcher.add_argument("--from-year", type=int, default=first, metavar="YEAR", help=f"first {year_help} {first})")
    fetcher.add_argument(
        "--to-year",
        type=int,
        default=this_year,
        metavar="YEAR",
        help=f"last {year_help} {this_year}; a year not published yet is skipped)",
    )
    commands.add_parser(
        "refresh",
        help="fetch what is missing or changes (definitive years not yet held, consolidated, real time)",
        description="Fetch from RTE what changes, each request conditional on the last import, and import it into "
        "DATABASE_PATH; an empty database is first built from HISTORY_DIR. Exits 1, naming each failed archive, "
        "when one fails. For cron, where the service does not refresh itself (REFRESH_INTERVAL=0 or off).",
    )
    serve = commands.add_parser(
        "serve", help="build the database when empty (else import DATA_DIR's new files), then serve the API"
    )
    serve.add_argument("--host", help="address to listen on (default: HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT, 8000)")
    return parser


def print_download(index: int, total: int, result: Download) -> None:
    failed = "failed: " if result.outcome is Outcome.FAILED else ""
    print(f"[{index}/{total}] {result.archive.name}: {failed}{result.message}", flush=True)


def run_fetch(settings: Settings, years: tuple[int, int] | None) -> int:
    """`fetch` the definitive archives of `years` (first, last) and the current ones; `refresh` without."""
    import asyncio

    from consumption import bootstrap  # the download client and the web stack: not for `import`

    if years is None:  # `refresh`, from cron before the service ever started: history first
        bootstrap.prepare_database(settings)
    else:
        from_year, to_year = years
        if not FIRST_DEFINITIVE_YEAR <= from_year <= to_year:
            expected = f"expected {FIRST_DEFINITIVE_YEAR} (RTE's first archive) to --to-year {to_year}"
            return fail(f"--from-year {from_year}: {expected}", 2)
    try:
        report = asyncio.run(bootstrap.fetch_from_rte(settings, years, on_download=print_download))
    except DatabaseError as error:
        return fail(str(error))
    for result in report.with_outcome(Outcome.DOWNLOADED):
        print(f"{result.archive.name}: {result.message}")
    if not report.ok:
        return fail(report.describe())
    print(report.describe())
    return 0


def run_serve(settings: Settings, host: str | None, port: int | None) -> int:
    """Take the port first: a busy one stops here, in one line, before any import or refresh."""
    from consumption import bootstrap  # the web stack: not for `import`

    host, port = host or settings.host, settings.port if port is None else port
    if not 0 <= port <= MAX_PORT:
        return fail(f"--port {port} is not a port; expected 0 to {MAX_PORT}", 2)
    try:
        listener = bootstrap.listen(host, port)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else error
        return fail(
            f"cannot listen on {host}:{port}: {reason}; "
            "choose another port with PORT or --port (and the address with HOST or --host)"
        )
    return bootstrap.serve(settings, listener)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_environment()
    except ValueError as error:  # starlette's Config names the setting and its value
        return fail(f"invalid setting: {error}", 2)
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "import":
        return run_import(settings, args.paths, args.database)
    if args.command == "serve":
        return run_serve(settings, args.host, args.port)
    return run_fetch(settings, (args.from_year, args.to_year) if args.command == "fetch" else None)


if __name__ == "__main__":
    sys.exit(main())
