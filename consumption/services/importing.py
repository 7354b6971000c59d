"""Importing éCO2mix files into a store: one run, one transaction."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from consumption.domain import ArchiveRecord, ConsumptionRepository, Store
from consumption.eco2mix.parser import DEFAULT_LIMITS, Eco2mixError, FileContents, ReadLimits, parse_eco2mix
from consumption.eco2mix.sources import find_sources

log = logging.getLogger(__name__)


class Source(Protocol):
    """What an import needs of a file: a name for its messages, and its bytes within limits
    (`eco2mix.sources.Eco2mixSource`: a file on disk or a zip member)."""

    @property
    def name(self) -> str: ...

    def open(self, limits: ReadLimits = DEFAULT_LIMITS) -> AbstractContextManager[IO[bytes]]: ...


@dataclass
class ImportReport:
    files: list[FileContents] = field(default_factory=list)

    @property
    def half_hours(self) -> int:
        return sum(f.half_hours for f in self.files)

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.files)


OnFile = Callable[[FileContents], None]


def add_sources(
    sources: Iterable[Source],
    points: ConsumptionRepository,
    on_file: OnFile | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ImportReport:
    """Add every source's points, inside a transaction the caller holds.

    Each file is read within `limits`; any failure to read one is an Eco2mixError naming it.
    """
    report = ImportReport()
    for source in sources:
        contents = FileContents(source.name)
        with source.open(limits) as stream:
            contents.changed = points.add(parse_eco2mix(stream, source.name, contents, limits))
        if contents.data_lines == 0:
            log.warning("%s: a header and no data lines; nothing imported", source.name)
        report.files.append(contents)
        if on_file is not None:
            on_file(contents)
    return report


def import_paths(
    paths: Sequence[Path], store: Store, on_file: OnFile | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> ImportReport:
    """Import the éCO2mix files found at `paths` (files, folders, zip archives) in one
    transaction, each recorded in the archive log under its path as start-up records
    DATA_DIR's files: the next start does not import them again."""
    sources = find_sources(paths)
    if not sources:
        raise Eco2mixError(", ".join(map(str, paths)), "no éCO2mix file (.xls, .csv, .json or .zip) found")
    report = ImportReport()
    with store.transaction():
        for path in dict.fromkeys(source.path for source in sources):  # a zip's members, once
            report.files += add_file(store, path, str(path.resolve()), on_file, limits).files
    return report


def add_file(
    store: Store, path: Path, name: str, on_file: OnFile | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> ImportReport:
    """Add the points of the file at `path` (every member of a zip) and record it in the
    archive log under `name`, inside a transaction the caller holds."""
    report = add_sources(find_sources([path]), store.points, on_file, limits)
    record = ArchiveRecord(
        name=name,
        url=path.resolve().as_uri(),
        etag=None,
        last_modified=None,
        size=path.stat().st_size,
        sha256=file_sha256(path),
        half_hours=report.half_hours,
        imported_at=int(time.time()),
    )
    store.archives.record(record)
    return report


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read in chunks: a file may be hundreds of megabytes."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
