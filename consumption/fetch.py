"""Fetching RTE's archives into DATA_DIR and importing them: `fetch` and `refresh`.

Each archive is downloaded to a temporary file, then imported in a savepoint of
one transaction: an archive that fails (not a zip, no éCO2mix file, a foreign
perimeter, a malformed line) is undone alone and reported; the valid ones are
committed together, with the record of what each archive was, and only then
does a downloaded archive replace the local copy. Nothing half-written remains.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from consumption.config import Settings
from consumption.eco2mix import Eco2mixError
from consumption.importer import add_sources
from consumption.rte import (
    CONSOLIDATED,
    FIRST_DEFINITIVE_YEAR,
    REAL_TIME,
    Archive,
    Download,
    Outcome,
    definitive,
    download,
    new_client,
)
from consumption.sources import archive_sources
from consumption.sqlite_store import (
    ArchiveRecord,
    RefreshRecord,
    SqliteArchiveLog,
    SqliteConsumptionRepository,
    connect,
    record_refresh,
)

log = logging.getLogger(__name__)

NOT_TRIED = "not tried: RTE could not be reached"


@dataclass
class FetchReport:
    downloads: list[Download] = field(default_factory=list)

    def with_outcome(self, outcome: Outcome) -> list[Download]:
        return [d for d in self.downloads if d.outcome is outcome]

    @property
    def ok(self) -> bool:
        return not self.with_outcome(Outcome.FAILED)

    def summary(self) -> str:
        """One line: what happened to each kind of outcome, and why the failures failed."""
        counts = ", ".join(
            f"{len(found)} {outcome.value}"
            for outcome in Outcome
            if (found := self.with_outcome(outcome))
        )
        line = f"{len(self.downloads)} archives: {counts or 'none'}"
        failed = self.with_outcome(Outcome.FAILED)
        tried = [d for d in failed if d.message != NOT_TRIED]
        if tried:
            line += "; failed: " + "; ".join(f"{d.archive.name}: {d.message}" for d in tried)
        if untried := [d.archive.name for d in failed if d.message == NOT_TRIED]:
            line += f"; {NOT_TRIED}: {', '.join(untried)}"
        return line


def archives_to_fetch(from_year: int, to_year: int) -> list[Archive]:
    """Each year's definitive archive, then this year's consolidated and real-time ones."""
    years = range(max(from_year, FIRST_DEFINITIVE_YEAR), to_year + 1)
    return [definitive(year) for year in years] + [CONSOLIDATED, REAL_TIME]


def archives_to_refresh(archive_log: SqliteArchiveLog, today: dt.date) -> list[Archive]:
    """What changes: last year's definitive archive until imported, consolidated, real time."""
    last_year = definitive(today.year - 1)
    archives = [] if archive_log.get(last_year.name) else [last_year]
    return archives + [CONSOLIDATED, REAL_TIME]


def fetch_archives(
    settings: Settings,
    archives: Iterable[Archive] | Callable[[SqliteArchiveLog], list[Archive]],
    on_download: Callable[[int, int, Download], None] | None = None,
) -> FetchReport:
    """Download `archives` (or those a function of the archive log picks) and import them."""
    connection = connect(settings.database_path)
    archive_log = SqliteArchiveLog(connection)
    repository = SqliteConsumptionRepository(connection)
    report = FetchReport()
    try:
        wanted = archives(archive_log) if callable(archives) else list(archives)
        with new_client(settings.http_timeout) as client:
            for index, archive in enumerate(wanted, start=1):
                result = download(
                    client,
                    settings.rte_base_url,
                    archive,
                    archive_log.get(archive.name),
                    settings.data_dir,
                )
                report.downloads.append(result)
                level = logging.WARNING if result.outcome is Outcome.FAILED else logging.INFO
                log.log(level, "[%d/%d] %s: %s", index, len(wanted), result.url, result.message)
                if on_download is not None:
                    on_download(index, len(wanted), result)
                if result.unreachable:
                    for archive in wanted[index:]:
                        report.downloads.append(
                            Download(
                                archive,
                                archive.url(settings.rte_base_url),
                                Outcome.FAILED,
                                NOT_TRIED,
                            )
                        )
                    break
        fresh = report.with_outcome(Outcome.DOWNLOADED)
        if fresh:
            with repository.transaction():
                for result in fresh:
                    _import_download(result, repository, archive_log)
            for result in report.with_outcome(Outcome.DOWNLOADED):
                assert result.temporary is not None
                os.replace(result.temporary, settings.data_dir / result.archive.name)
                result.temporary = None
        record_refresh(connection, RefreshRecord(int(time.time()), report.ok, report.summary()))
    finally:
        for result in report.downloads:
            result.discard()
        connection.close()
    log.info("fetch: %s", report.summary())
    return report


def _import_download(
    result: Download, repository: SqliteConsumptionRepository, archive_log: SqliteArchiveLog
) -> None:
    """Import one downloaded archive in a savepoint; on failure mark it failed, undo it alone."""
    assert result.temporary is not None
    try:
        with repository.savepoint():
            imported = add_sources(archive_sources(result.temporary, label=result.url), repository)
            archive_log.record(
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
    except Eco2mixError as error:
        result.outcome, result.message = Outcome.FAILED, str(error)
        log.warning("%s: refused: %s", result.url, error)
        result.discard()
        return
    result.message += f", {imported.half_hours} half-hours imported ({imported.changed} changed)"
    log.info("%s: %s", result.url, result.message)


def fetch(settings: Settings, from_year: int, to_year: int, on_download=None) -> FetchReport:
    return fetch_archives(settings, archives_to_fetch(from_year, to_year), on_download)


def refresh(settings: Settings, today: dt.date | None = None, on_download=None) -> FetchReport:
    day = today or dt.date.today()
    return fetch_archives(settings, lambda archive_log: archives_to_refresh(archive_log, day), on_download)
