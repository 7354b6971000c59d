"""The names of RTE's archives and of the embedded history's files, and what they say.

No network and no parsing, so that the web app may read them (for `/health`)
without importing the download client.

The embedded history is one zip a year of France's consumption in RTE's layout,
named `eCO2mix_France_consumption_{YYYY}_{nature}.zip` (see data/README.md and
scripts/build_history.py, which writes them). Start-up imports them into an empty
database and records each in the archive log under that name, so `/health` can
say which years came from them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path

from consumption.domain import Archive, Nature

FIRST_DEFINITIVE_YEAR = 2012  # RTE's first annual definitive archive
CONSOLIDATED = Archive("eCO2mix_RTE_En-cours-Consolide.zip")
REAL_TIME = Archive("eCO2mix_RTE_En-cours-TR.zip")

_NAME = re.compile(r"^eCO2mix_France_consumption_(\d{4})_(definitive|consolidated|real-time)\.zip$")
_RTE_DEFINITIVE = re.compile(r"^eCO2mix_RTE_Annuel-Definitif_(\d{4})\.zip$")


def definitive(year: int) -> Archive:
    """RTE's annual definitive archive of `year`: absent (404) until RTE publishes it."""
    return Archive(f"eCO2mix_RTE_Annuel-Definitif_{year}.zip", may_be_absent=True)


def history_name(year: int, nature: Nature) -> str:
    return f"eCO2mix_France_consumption_{year}_{nature.label}.zip"


def history_year(name: str) -> int | None:
    """The year an embedded history file holds, from its name; None for any other name."""
    match = _NAME.match(name)
    return int(match.group(1)) if match else None


def history_files(history_dir: Path | None) -> list[Path]:
    """The embedded history's files in `history_dir`, by year; none when it is absent."""
    if history_dir is None or not history_dir.is_dir():
        return []
    return sorted(p for p in history_dir.iterdir() if p.is_file() and history_year(p.name) is not None)


def years_by_source(archive_names: Iterable[str], stored_years: Collection[int]) -> dict[str, list[int]]:
    """Which stored years' values come from the embedded history, from RTE and from files
    imported from disk, from the names of the archives imported and the years stored.

    An RTE definitive year replaces an embedded year (the precedence rule); RTE's
    current archives (consolidated, real time) account for the years after the last
    year held in full, up to the newest stored; the other stored years came from files.
    """
    names = set(archive_names)
    embedded = {year for name in names if (year := history_year(name)) is not None}
    definitive_years = {int(m.group(1)) for name in names if (m := _RTE_DEFINITIVE.match(name))}
    from_rte = set(definitive_years)
    if names & {CONSOLIDATED.name, REAL_TIME.name} and stored_years:
        whole, last_year = embedded | definitive_years, max(stored_years)
        from_rte.update(set(range(max(whole) + 1 if whole else last_year, last_year + 1)) & set(stored_years))
    from_files = set(stored_years) - embedded - from_rte
    return {"embedded": sorted(embedded - definitive_years), "rte": sorted(from_rte), "files": sorted(from_files)}
