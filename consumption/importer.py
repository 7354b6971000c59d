"""Importing éCO2mix files into a repository: one run, one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from consumption.domain import ConsumptionRepository
from consumption.eco2mix import Eco2mixError, FileSummary, parse_eco2mix
from consumption.sources import Eco2mixSource, find_sources

log = logging.getLogger(__name__)


@dataclass
class FileImport:
    """One file's outcome: what it held, and how many stored half hours it changed."""

    summary: FileSummary
    changed: int


@dataclass
class ImportReport:
    files: list[FileImport] = field(default_factory=list)

    @property
    def half_hours(self) -> int:
        return sum(f.summary.half_hours for f in self.files)

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.files)


class NoFilesError(Eco2mixError):
    """The paths hold no éCO2mix file at all."""


def import_sources(
    sources: Iterable[Eco2mixSource],
    repository: ConsumptionRepository,
    on_file: Callable[[FileImport], None] | None = None,
) -> ImportReport:
    """Import every source in one transaction: all of them, or, on any error, none."""
    with repository.transaction():
        report = add_sources(sources, repository, on_file)
    log.info(
        "imported %d files: %d half-hours read, %d stored or updated",
        len(report.files),
        report.half_hours,
        report.changed,
    )
    return report


def add_sources(
    sources: Iterable[Eco2mixSource],
    repository: ConsumptionRepository,
    on_file: Callable[[FileImport], None] | None = None,
) -> ImportReport:
    """Add every source to the repository, inside a transaction the caller holds."""
    report = ImportReport()
    for source in sources:
        summary = FileSummary(source.name)
        with source.open_lines() as lines:
            changed = repository.add(parse_eco2mix(lines, source.name, summary))
        if summary.data_lines == 0:
            log.warning("%s: a header and no data lines; nothing imported", source.name)
        imported = FileImport(summary, changed)
        report.files.append(imported)
        if on_file is not None:
            on_file(imported)
    return report


def import_paths(
    paths: Iterable[Path],
    repository: ConsumptionRepository,
    on_file: Callable[[FileImport], None] | None = None,
) -> ImportReport:
    """Import the éCO2mix files found at `paths` (files, folders, zip archives)."""
    paths = list(paths)
    sources = find_sources(paths)
    if not sources:
        raise NoFilesError(", ".join(map(str, paths)), "no éCO2mix file (.xls, .csv or .zip) found")
    log.info("importing %d éCO2mix files", len(sources))
    return import_sources(sources, repository, on_file)
