"""Fetching RTE's archives into DATA_DIR and importing them: `fetch` and `refresh`.

`archives_to_fetch` (a range of years) and `archives_to_refresh` (what is missing or
changes) say which archives; `fetch_archives` fetches them: the downloads on the event
loop, all the database work in one worker thread, on a connection of its own.

Each archive is downloaded to a temporary file, then imported in a savepoint of
one transaction: an archive that fails (not a zip, no éCO2mix file, a foreign
perimeter, a malformed line, or anything else raised while reading or storing it)
is undone alone and reported in one line that names it; the valid ones are
committed together, with the record of what each archive was, and only then
does a downloaded archive replace the local copy. Nothing half-written remains.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from consumption.domain.model import Archive, ArchiveRecord, Download, Outcome, RefreshRecord
from consumption.domain.repository import ArchiveSource, ConsumptionRepository, Store, TransactionLost
from consumption.eco2mix.names import CONSOLIDATED, FIRST_DEFINITIVE_YEAR, REAL_TIME, definitive
from consumption.eco2mix.parser import DEFAULT_LIMITS, Eco2mixError, ReadLimits
from consumption.eco2mix.sources import archive_sources
from consumption.services.importing import add_sources

log = logging.getLogger(__name__)

NOT_TRIED = "not tried: RTE could not be reached"
MAX_REASON = 300  # characters of a failure's reason in the one-line summary


@dataclass
class FetchReport:
    downloads: list[Download] = field(default_factory=list)
    stopped: str = ""  # why the run stopped before its end, when something unforeseen did

    def with_outcome(self, outcome: Outcome) -> list[Download]:
        return [d for d in self.downloads if d.outcome is outcome]

    @property
    def ok(self) -> bool:
        return not self.with_outcome(Outcome.FAILED) and not self.with_outcome(Outcome.NOT_TRIED) and not self.stopped

    def describe(self) -> str:
        """One line: what happened to each kind of outcome, and why the failures failed."""
        counts = ", ".join(
            f"{len(found)} {outcome.value}" for outcome in Outcome if (found := self.with_outcome(outcome))
        )
        line = f"{len(self.downloads)} archives: {counts or 'none'}"
        if failed := self.with_outcome(Outcome.FAILED):
            line += "; failed: " + "; ".join(f"{d.archive.name}: {d.message}" for d in failed)
        if self.with_outcome(Outcome.NOT_TRIED):
            line += f"; the others {NOT_TRIED}"
        if self.stopped:
            line += f"; {self.stopped}"
        return line

    def stop(self, error: Exception) -> None:
        """A bug or the unforeseen: said and recorded, never raised."""
        log.exception("fetch stopped")
        self.stopped = f"stopped: {one_line(error)}"


def archives_to_fetch(from_year: int, to_year: int) -> list[Archive]:
    """Each year's definitive archive, then this year's consolidated and real-time ones."""
    years = range(max(from_year, FIRST_DEFINITIVE_YEAR), to_year + 1)
    return [definitive(year) for year in years] + [CONSOLIDATED, REAL_TIME]


OnDownload = Callable[[int, int, Download], None]
Known = list[tuple[Archive, ArchiveRecord | None]]  # each archive, with what it was when last imported


def archives_to_refresh(points: ConsumptionRepository, today: dt.date) -> list[Archive]:
    """Every definitive year up to last year that the store does not hold wholly definitive
    (missing, or consolidated like an embedded 2021), then consolidated, then real time.

    A year imported from RTE's definitive archive is never asked for again; one that RTE
    has not published yet is a 404, not an error, asked for at each refresh until it is.
    """
    complete = points.definitive_years()
    years = [year for year in range(FIRST_DEFINITIVE_YEAR, today.year) if year not in complete]
    return [definitive(year) for year in years] + [CONSOLIDATED, REAL_TIME]


async def fetch_archives(
    open_store: Callable[[], Store],
    rte: ArchiveSource,
    choose: Callable[[Store], list[Archive]],
    data_dir: Path,
    on_download: OnDownload | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> FetchReport:
    """Download the archives `choose` picks into `data_dir`, import the new ones, record the outcome.

    The downloads run on the caller's event loop. All the database work (opening the
    store, choosing, reading the archive log, importing, recording) runs in one worker
    thread of this run, on the store `open_store` opens there and that is closed there:
    a write lock another process holds keeps that thread waiting, never the loop nor the
    requests it answers. Cancelled during the downloads (the server stops), it imports and
    records nothing; during the import, the thread finishes it before this ends.
    Raises only what opening the store or choosing raises.
    """
    loop = asyncio.get_running_loop()
    opened = contextlib.ExitStack()  # the store, once the thread has opened it
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch") as thread:
        try:
            store = await loop.run_in_executor(thread, lambda: opened.enter_context(contextlib.closing(open_store())))
            known = await loop.run_in_executor(thread, lambda: [(a, store.archives.get(a.name)) for a in choose(store)])
            report = FetchReport()
            try:
                await _download_all(rte, known, data_dir, on_download, report)
            except Exception as error:
                report.stop(error)
            except asyncio.CancelledError:
                for result in report.downloads:
                    result.discard()
                raise
            return await loop.run_in_executor(thread, _import_and_record, store, report, data_dir, limits)
        finally:
            # Queued behind the thread's work: when cancelled, this waits for it, then closes the store.
            await loop.run_in_executor(thread, opened.close)


async def _download_all(
    rte: ArchiveSource, known: Known, data_dir: Path, on_download: OnDownload | None, report: FetchReport
) -> None:
    """Download each archive in turn; once RTE proves unreachable, mark the rest not tried."""
    for index, (archive, record) in enumerate(known, start=1):
        try:
            result = await rte.download(archive, record, data_dir)
        except Exception as error:  # `download` says what RTE did; this is our own failure
            log.exception("%s: download failed", archive.name)
            result = Download(archive, rte.url(archive), Outcome.FAILED, one_line(error))
        report.downloads.append(result)
        level = logging.WARNING if result.outcome is Outcome.FAILED else logging.INFO
        log.log(level, "[%d/%d] %s: %s", index, len(known), result.url, result.message)
        if on_download is not None:
            on_download(index, len(known), result)
        if result.unreachable:
            report.downloads.extend(
                Download(rest, rte.url(rest), Outcome.NOT_TRIED, NOT_TRIED) for rest, _ in known[index:]
            )
            return


def _import_and_record(store: Store, report: FetchReport, data_dir: Path, limits: ReadLimits) -> FetchReport:
    """The worker thread's part after the downloads. Never raises an `Exception`: whatever
    happens is in the report, and the outcome is recorded whenever the database can still be written."""
    try:
        if not report.stopped:
            report.downloads = _import_fresh(store, report.downloads, data_dir, limits)
    except Exception as error:
        report.stop(error)
    finally:
        for result in report.downloads:
            result.discard()
    try:
        # On its own, outside the import's transaction: an outcome is not a data change.
        store.archives.record_refresh(RefreshRecord(int(time.time()), report.ok, report.describe()))
    except Exception as error:
        log.error("cannot record the fetch's outcome: %s", one_line(error))
    log.log(logging.INFO if report.ok else logging.WARNING, "fetch: %s", report.describe())
    return report


def one_line(error: BaseException) -> str:
    """A short, one-line reason: our own errors as they are; anything else with its type."""
    ours = isinstance(error, (Eco2mixError, TransactionLost))
    text = str(error) if ours else f"{type(error).__name__}: {error}".rstrip(": ")
    text = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))  # nothing for a terminal
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _import_fresh(store: Store, downloads: list[Download], data_dir: Path, limits: ReadLimits) -> list[Download]:
    """Import the downloaded archives in one transaction, each in its savepoint; then keep
    a copy of each imported one in `data_dir`. The downloads as the import left them."""
    fresh = [result for result in downloads if result.outcome is Outcome.DOWNLOADED]
    if not fresh:
        return downloads
    done: dict[Archive, Download] = {}
    try:
        with store.transaction():
            for result in fresh:
                done[result.archive] = _import_download(result, store, limits)
    except Exception as error:  # the whole transaction is undone: none of them was imported
        reason = one_line(error)
        log.error("importing the downloaded archives failed, none was imported: %s", reason)
        for result in fresh:
            if done.get(result.archive, result).outcome is not Outcome.FAILED:  # not already refused
                done[result.archive] = replace(result, outcome=Outcome.FAILED, message=f"not imported: {reason}")
    else:
        done = {archive: _keep(result, data_dir) for archive, result in done.items()}
    return [done.get(result.archive, result) for result in downloads]


def _import_download(result: Download, store: Store, limits: ReadLimits) -> Download:
    """Import one downloaded archive in a savepoint; on failure undo it alone and say it failed.

    Any failure is this archive's own (a file the parser refuses, but also a value SQLite
    cannot hold, an encrypted or corrupt zip member, memory …), unless the store lost the
    whole transaction: that one is raised, for every archive of the run.
    """
    assert result.temporary is not None
    try:
        with store.savepoint():
            sources = archive_sources(result.temporary, label=result.url)
            imported = add_sources(sources, store.points, limits=limits)
            store.archives.record(
                ArchiveRecord(
                    name=result.archive.name,
                    url=result.url,
                    etag=result.etag,
                    last_modified=result.last_modified,
                    size=result.size,
                    sha256=result.sha256,
                    half_hours=imported.half_hours,
                    imported_at=int(time.time()),
                )
            )
    except TransactionLost:
        raise
    except Exception as error:
        log.warning("%s: refused: %s", result.url, one_line(error))
        result.discard()
        return replace(result, outcome=Outcome.FAILED, message=f"refused: {one_line(error)}")
    message = f"{result.message}, {imported.half_hours} half-hours imported ({imported.changed} changed)"
    log.info("%s: %s", result.url, message)
    return replace(result, message=message)


def _keep(result: Download, data_dir: Path) -> Download:
    """An imported archive, moved from its temporary file to `data_dir`."""
    if result.temporary is None:  # refused
        return result
    try:
        os.replace(result.temporary, data_dir / result.archive.name)
    except OSError as error:  # imported all the same; the temporary file is discarded
        log.warning("%s: imported, but cannot be kept in %s: %s", result.archive.name, data_dir, error.strerror)
        return replace(result, message=f"{result.message}; the local copy could not be replaced ({error.strerror})")
    return replace(result, temporary=None)
