"""What happens before the server starts: the database is built, or brought up to date,
from what is on disk.

An empty store is built, in one transaction, from the embedded history (HISTORY_DIR:
France's real consumption 2012–2021, seconds, no network), then from the éCO2mix
files in DATA_DIR. A store with data is reused, and the files added to DATA_DIR
since (new, or changed since their import) are imported into it. Unlike
`consumption import`, which is all or nothing, a file that cannot be imported here
is skipped, undone alone and named in the report (and so in `/health`): one bad
file must not leave the service without the others. Each file imported here is
recorded in the archive log (by name for the embedded history, by path for
DATA_DIR's files), which says at the next start what is new. RTE is asked only
afterwards, in the background, while the server answers (`services.schedule`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from consumption.domain import Store
from consumption.eco2mix.names import history_files
from consumption.eco2mix.parser import DEFAULT_LIMITS, Eco2mixError, ReadLimits
from consumption.eco2mix.sources import ARCHIVE_SUFFIX, TEXT_SUFFIXES
from consumption.services.importing import add_file, file_sha256

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedFile:
    file: str
    reason: str  # one line, naming the file and, when there is one, the line


@dataclass
class StartupReport:
    """What start-up did: reuse the database, or build it from which files, skipping which."""

    built: bool = False
    half_hours: int = 0  # stored once start-up is done
    imported: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def describe(self) -> dict[str, object]:
        """What `/health` shows of start-up."""
        return {"built": self.built, "files_imported": len(self.imported), "skipped": [asdict(s) for s in self.skipped]}


def build_or_update(
    store: Store, history_dir: Path | None, data_dir: Path, limits: ReadLimits = DEFAULT_LIMITS
) -> StartupReport:
    """Build an empty store from the embedded history, then DATA_DIR's files; on a store with
    data, import DATA_DIR's new or changed files. Never raises for what a file holds."""
    count = store.points.stored_span().count
    started = time.perf_counter()
    history = history_files(history_dir)
    # A copy of the history under DATA_DIR (./data mounted in Docker) is not imported twice.
    embedded_names = {path.name for path in history}
    local = [path for path in _local_files(data_dir, history_dir) if path.name not in embedded_names]
    report = StartupReport(built=not count, half_hours=count)
    if count:
        history, local = [], [path for path in local if not _imported_already(store, path)]
        news = f"importing {len(local)} new or changed files from" if local else "no new files in"
        log.info("reusing the database (%d half hours); %s %s", count, news, data_dir)
    else:
        if history_dir is not None and not history:
            log.warning("no embedded history in %s: the database starts from DATA_DIR and RTE only", history_dir)
        files = f"{len(history)} embedded history files in {history_dir or '(no HISTORY_DIR)'}"
        log.info("no data yet: building the database from %s and %d éCO2mix files in %s", files, len(local), data_dir)
    if not (history or local):
        return report
    with store.transaction():
        # Each file (every member of a zip) in a savepoint, recorded in the archive log under
        # its name or path; on any failure, undone alone: it is that file's failure.
        for path, name in [(path, path.name) for path in history] + [(path, str(path.resolve())) for path in local]:
            try:
                with store.savepoint():
                    add_file(store, path, name, limits=limits)
            except Exception as error:
                reason = str(error) if isinstance(error, Eco2mixError) else f"{path}: {type(error).__name__}: {error}"
                log.error("skipped: %s", reason)
                report.skipped.append(SkippedFile(str(path), reason))
            else:
                report.imported.append(str(path))
    report.half_hours = store.points.stored_span().count
    done = f"{'built' if report.built else 'updated'} the database: {report.half_hours} half hours"
    skipped = f"; skipped {len(report.skipped)} files (see /health)" if report.skipped else ""
    log.info("%s from %d files in %.1f s%s", done, len(report.imported), time.perf_counter() - started, skipped)
    return report


def _imported_already(store: Store, path: Path) -> bool:
    """Whether the archive log holds `path` as it is: under its path, or, for an RTE archive
    the refresh kept in DATA_DIR, under its name. Hashed only when its time says it may differ."""
    stat = path.stat()
    for record in (store.archives.get(str(path.resolve())), store.archives.get(path.name)):
        if record is None or record.size != stat.st_size:
            continue
        if stat.st_mtime < record.imported_at or file_sha256(path) == record.sha256:
            return True
    return False


def _local_files(data_dir: Path, history_dir: Path | None) -> list[Path]:
    """The éCO2mix files under DATA_DIR, by name, leaving out the embedded history's folder
    (data/history is inside data/ in a source checkout)."""
    skip = history_dir.resolve() if history_dir is not None else None
    try:
        return sorted(
            path
            for path in data_dir.rglob("*")
            if path.name.lower().endswith((*TEXT_SUFFIXES, ARCHIVE_SUFFIX))
            and path.is_file()
            and not (skip is not None and path.resolve().is_relative_to(skip))
        )
    except OSError as error:
        log.error("cannot list the files in %s: %s", data_dir, error)
        return []
