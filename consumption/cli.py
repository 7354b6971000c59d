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
from consumption.eco2mix.parser import Eco2mixError, ReadLimits
from consumption.logs import configure_logging
from consumption.services.importing import FileImport, import_paths
from consumption.storage.database import DatabaseError
from consumption.storage.repository import SqliteStore


def _span(first: int | None, last: int | None) -> str:
    if first is None or last is None:
        return "no half-hour"
    return f"{PARIS.local(first):%Y-%m-%d %H:%M} → {PARIS.local(last):%Y-%m-%d %H:%M} Paris time"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


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
    # What this run creates, removed should it fail: the folders, deepest first, the file, its journals.
    created = [folder for folder in database_path.parents if not folder.exists()]
    created[:0] = [database_path, *(Path(f"{database_path}{end}") for end in ("-journal", "-wal", "-shm"))]
    try:
        store = SqliteStore.open(database_path)
    except DatabaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    limits = ReadLimits.from_megabytes(settings.file_max_mb)
    report = None
    try:
        report = import_paths(paths or [settings.data_dir], store, progress, limits)
    except (Eco2mixError, DatabaseError) as error:
        print(f"error: {error}", file=sys.stderr)
        where = f"no database was created at {database_path}" if is_new else f"{database_path} is unchanged"
        if read:
            would = sum(imported.changed for imported in read)
            files = plural(len(read), "file")
            where = f"the {files} read before would have stored or updated {would} half-hours; {where}"
        print(f"nothing was imported: {where}", file=sys.stderr)
        return 1
    finally:
        store.close()
        if is_new and report is None:
            for path in created:
                with contextlib.suppress(OSError):
                    if path.is_dir():
                        path.rmdir()
                    else:
                        path.unlink(missing_ok=True)
    print(
        f"total: {plural(len(report.files), 'file')}, {report.half_hours} half-hours read, "
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

    this_year = PARIS.today().year
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
        "Meant for cron on hosts where the service does not refresh itself (REFRESH_INTERVAL=0 or off).",
    )

    serve = commands.add_parser(
        "serve",
        help="build the database from the embedded history and DATA_DIR when empty (else import DATA_DIR's "
        "new or changed files), then serve the API",
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
        if from_year > to_year:
            print(f"error: --from-year {from_year} is after --to-year {to_year}", file=sys.stderr)
            return 2
        if from_year < FIRST_DEFINITIVE_YEAR:
            first = FIRST_DEFINITIVE_YEAR
            print(
                f"error: --from-year {from_year}: RTE's archives start in {first}; ask for {first} or later",
                file=sys.stderr,
            )
            return 2
    try:
        report = asyncio.run(bootstrap.fetch_from_rte(settings, years, on_download=print_download))
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


def run_serve(settings: Settings, host: str | None, port: int | None) -> int:
    """Take the port first: a busy one stops here, in one line, before any import or refresh."""
    from consumption import bootstrap  # the web stack: not for `import`

    host, port = host or settings.host, settings.port if port is None else port
    if not 0 <= port <= MAX_PORT:
        print(f"error: --port {port} is not a port; expected 0 to {MAX_PORT}", file=sys.stderr)
        return 2
    try:
        listener = bootstrap.listen(host, port)
    except OSError as error:
        print(
            f"error: cannot listen on {host}:{port}: {os.strerror(error.errno) if error.errno else error}; "
            "choose another port with PORT or --port (and the address with HOST or --host)",
            file=sys.stderr,
        )
        return 1
    return bootstrap.serve(settings, listener)


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
        return run_fetch(settings, (args.from_year, args.to_year))
    if args.command == "refresh":
        return run_fetch(settings, None)
    if args.command == "serve":
        return run_serve(settings, args.host, args.port)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
