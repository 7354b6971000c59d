"""What happens before the server starts: an empty database is built from what is on disk.

A store with data is reused. Otherwise it is built, in one transaction, from the
embedded history (HISTORY_DIR: France's real consumption 2012–2021, seconds, no
network), then from the éCO2mix files in DATA_DIR. Unlike `consumption import`,
which is all or nothing, a file that cannot be imported here is skipped, undone
alone and named in the report (and so in `/health`): one bad file must not leave
the service without the others. RTE is asked only afterwards, in the background,
while the server answers (see `cli.build_app`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from consumption.domain import ArchiveRecord, Store
from consumption.eco2mix.history import history_files
from consumption.eco2mix.parser import DEFAULT_LIMITS, Eco2mixError, ReadLimits
from consumption.eco2mix.sources import ARCHIVE_SUFFIX, TEXT_SUFFIXES, find_sources
from consumption.services.importing import add_sources
from consumption.services.refresh import FetchReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedFile:
    name: str
    reason: str  # one line, naming the file and, when there is one, the line


@dataclass
class StartupReport:
    """What start-up did: reuse the database, or build it from which files, skipping which."""

    built: bool = False
    half_hours: int = 0  # stored once start-up is done
    imported: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def build_if_empty(
    store: Store, history_dir: Path | None, data_dir: Path, limits: ReadLimits = DEFAULT_LIMITS
) -> StartupReport:
    """Reuse a store with data; build an empty one from the embedded history, then DATA_DIR's
    files, skipping the files that fail. Never raises for what a file holds."""
    count = store.points.stored_span().count
    if count:
        log.info("reusing the database (%d half hours)", count)
        return StartupReport(built=False, half_hours=count)
    started = time.perf_counter()
    history = history_files(history_dir)
    # A copy of the history under DATA_DIR (./data mounted in Docker) is not imported twice.
    embedded_names = {path.name for path in history}
    local = [path for path in _local_files(data_dir, history_dir) if path.name not in embedded_names]
    if history_dir is not None and not history:
        log.warning("no embedded history in %s: the database starts from DATA_DIR and RTE only", history_dir)
    log.info(
        "no data yet: building the database from %d embedded history files in %s and %d éCO2mix files in %s",
        len(history),
        history_dir,
        len(local),
        data_dir,
    )
    report = StartupReport(built=True)
    with store.transaction():
        for path in history:
            _import_file(store, path, report, limits, embedded=True)
        for path in local:
            _import_file(store, path, report, limits, embedded=False)
    report.half_hours = store.points.stored_span().count
    log.info(
        "built the database: %d half hours from %d files in %.1f s%s",
        report.half_hours,
        len(report.imported),
        time.perf_counter() - started,
        f"; skipped {len(report.skipped)} files (see /health)" if report.skipped else "",
    )
    return report


def _import_file(store: Store, path: Path, report: StartupReport, limits: ReadLimits, *, embedded: bool) -> None:
    """Import one file (every member of a zip) in a savepoint; on any failure undo it alone."""
    try:
        with store.savepoint():
            imported = add_sources(find_sources([path]), store.points, limits=limits)
            if embedded:
                store.archives.record(_history_record(path, imported.half_hours))
    except Exception as error:  # whatever one file does (see issue 12 §3) is that file's failure
        reason = str(error) if isinstance(error, Eco2mixError) else f"{path}: {type(error).__name__}: {error}"
        log.error("skipped: %s", reason)
        report.skipped.append(SkippedFile(str(path), reason))
        return
    report.imported.append(str(path))


def _history_record(path: Path, half_hours: int) -> ArchiveRecord:
    """The archive log's record of an embedded file: its name says which year it is."""
    data = path.read_bytes()
    return ArchiveRecord(
        name=path.name,
        url=path.resolve().as_uri(),
        etag=None,
        last_modified=None,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        half_hours=half_hours,
        imported_at=int(time.time()),
    )


def _local_files(data_dir: Path, history_dir: Path | None) -> list[Path]:
    """The éCO2mix files under DATA_DIR, by name, leaving out the embedded history's folder
    (data/history is inside data/ in a source checkout)."""
    if not data_dir.is_dir():
        return []
    skip = history_dir.resolve() if history_dir is not None else None
    suffixes = (*TEXT_SUFFIXES, ARCHIVE_SUFFIX)
    try:
        return sorted(
            path
            for path in data_dir.rglob("*")
            if path.name.lower().endswith(suffixes)
            and path.is_file()
            and not (skip is not None and path.resolve().is_relative_to(skip))
        )
    except OSError as error:
        log.error("cannot list the files in %s: %s", data_dir, error)
        return []


async def refresh_in_background(refresh_once: Callable[[], FetchReport]) -> None:
    """One refresh from RTE in a thread, once the server answers; never raises."""
    try:
        report = await asyncio.to_thread(refresh_once)
    except Exception:
        log.exception("the refresh after start-up failed")
        return
    if not report.ok:
        log.warning("serving what is stored (see /health); refresh: %s", report.describe())
