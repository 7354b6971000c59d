"""Entities: a half-hour consumption point, the nature of its data, and the precedence rule.

Also what is fetched from RTE: an archive it publishes, the outcome of one download,
what each archive was when it was imported, and how the last refresh went.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from consumption.domain.clock import PARIS

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


def holds_whole_year(year: int, half_hours: int) -> bool:
    """Whether `half_hours` fill Paris's `year`, but for a day at most (RTE's files leave out
    the fall-back day's repeated hour): a file of a few days does not stand for its year."""
    start, end = PARIS.day_start(dt.date(year, 1, 1)), PARIS.day_start(dt.date(year + 1, 1, 1))
    return half_hours >= (end - start) // HALF_HOUR_SECONDS - 48


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


@dataclass(frozen=True)
class Archive:
    """One archive RTE publishes. `may_be_absent`: a 404 means not published yet."""

    name: str
    may_be_absent: bool = False


class Outcome(enum.Enum):
    DOWNLOADED = "downloaded"  # new or changed: to be validated and imported
    UNCHANGED = "unchanged"  # RTE has nothing newer than what was imported
    NOT_PUBLISHED = "not published"  # a 404 for an archive that may be absent
    FAILED = "failed"
    NOT_TRIED = "not tried"  # after RTE proved unreachable, the run stops asking


@dataclass
class Download:
    """What one download of `archive` came to; `temporary` holds the bytes until imported."""

    archive: Archive
    url: str
    outcome: Outcome
    message: str = ""
    temporary: Path | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int = 0
    sha256: str = ""
    unreachable: bool = False  # the network or RTE could not be reached at all

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None
