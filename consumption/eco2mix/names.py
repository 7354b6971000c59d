"""The names of RTE's archives and of the embedded history's files, and what they say.

Pure: no files, no network, so that the web app may read them (for `/health`)
without importing the download client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from consumption.domain import Nature

CONSOLIDATED_NAME = "eCO2mix_RTE_En-cours-Consolide.zip"
REAL_TIME_NAME = "eCO2mix_RTE_En-cours-TR.zip"

_NAME = re.compile(r"^eCO2mix_France_consumption_(\d{4})_(definitive|consolidated|real-time)\.zip$")
_RTE_DEFINITIVE = re.compile(r"^eCO2mix_RTE_Annuel-Definitif_(\d{4})\.zip$")


def history_name(year: int, nature: Nature) -> str:
    return f"eCO2mix_France_consumption_{year}_{nature.label}.zip"


def history_year(name: str) -> int | None:
    """The year an embedded history file holds, from its name; None for any other name."""
    match = _NAME.match(name)
    return int(match.group(1)) if match else None


def years_by_source(archive_names: Iterable[str], last_year: int | None) -> dict[str, list[int]]:
    """Which years' values come from the embedded history and which from RTE, from the
    names of the archives imported (and the year of the newest stored half hour).

    An RTE definitive year replaces an embedded year (the precedence rule); RTE's
    current archives (consolidated, real time) account for the years after the last
    year held in full, up to the newest half hour's.
    """
    names = set(archive_names)
    embedded = {year for name in names if (year := history_year(name)) is not None}
    definitive = {int(m.group(1)) for name in names if (m := _RTE_DEFINITIVE.match(name))}
    from_rte = set(definitive)
    if names & {CONSOLIDATED_NAME, REAL_TIME_NAME} and last_year is not None:
        whole = embedded | definitive
        from_rte.update(range(max(whole) + 1 if whole else last_year, last_year + 1))
    return {"embedded": sorted(embedded - definitive), "rte": sorted(from_rte)}
