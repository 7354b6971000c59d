"""Entities: a half-hour consumption point, the nature of its data, and the precedence rule.

Also the records of what was fetched from RTE: what each archive was when it was
imported, and how the last refresh went.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

HALF_HOUR_SECONDS = 1800
WATTS_PER_MEGAWATT = 1_000_000


class Nature(enum.IntEnum):
    """How final a value is. A greater nature replaces a lesser one, never the reverse."""

    REAL_TIME = 1
    CONSOLIDATED = 2
    DEFINITIVE = 3

    @property
    def label(self) -> str:
        """The name the API and the CLI show: `real-time`, `consolidated`, `definitive`."""
        return self.name.lower().replace("_", "-")


class ConsumptionPoint(NamedTuple):
    """France's consumption during the half hour that starts at `timestamp`.

    `timestamp` is a UTC instant in Unix seconds, a multiple of 1800. A named
    tuple, because an import makes a quarter of a million of them.
    """

    timestamp: int
    consumption_mw: int
    nature: Nature


def replaces(new: ConsumptionPoint, stored: ConsumptionPoint | None) -> bool:
    """The precedence rule: does `new` replace what is stored for its half hour?

    A better nature replaces a worse one, never the reverse; at equal nature the
    later value wins, and an identical point changes nothing, so that importing a
    file twice writes nothing the second time.
    """
    if stored is None:
        return True
    if new.nature != stored.nature:
        return new.nature > stored.nature
    return new.consumption_mw != stored.consumption_mw


@dataclass(frozen=True)
class StoredSpan:
    """What a repository holds: how many half hours, and the first and last instants."""

    count: int
    first: int | None
    last: int | None


@dataclass(frozen=True)
class ArchiveRecord:
    """What a downloaded RTE archive was when it was last imported."""

    name: str
    url: str
    etag: str | None
    last_modified: str | None
    size: int
    sha256: str
    half_hours: int
    imported_at: int  # UTC Unix seconds


@dataclass(frozen=True)
class RefreshRecord:
    """The outcome of the last fetch or refresh, whichever process ran it."""

    finished_at: int  # UTC Unix seconds
    ok: bool  # every archive was fetched, current or not published yet
    report: str  # one line: what happened to each archive
