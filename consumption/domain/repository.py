"""The abstract repositories, and the store that commits them together.

Services are written against these; `consumption.storage` implements them on
SQLite and in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from consumption.domain.model import Archive, ArchiveRecord, ConsumptionPoint, Download, RefreshRecord, StoredSpan


class ConsumptionRepository(Protocol):
    """Where consumption points are kept, one per half hour.

    `add` follows the precedence rule (`domain.model.replaces`).
    """

    def add(self, points: Iterable[ConsumptionPoint]) -> int:
        """Store `points`, streaming them; return how many stored points they changed."""

    def between(self, start: int, end: int) -> Iterator[ConsumptionPoint]:
        """The points whose half hour starts in [start, end] (UTC seconds), in time order."""

    def stored_span(self) -> StoredSpan:
        """How many points are stored, and the first and last instants."""

    def definitive_years(self) -> set[int]:
        """The years held whole (`model.holds_whole_year`), every point definitive: nothing better
        can come from RTE for them. A year is Paris's: it starts at 00:00 in Paris on 1 January."""


class ArchiveLog(Protocol):
    """What each RTE archive was when imported, and how the last refresh went."""

    def get(self, name: str) -> ArchiveRecord | None: ...
    def record(self, record: ArchiveRecord) -> None: ...
    def last_refresh(self) -> RefreshRecord | None: ...

    def record_refresh(self, record: RefreshRecord) -> None:
        """Replace the last refresh's outcome; atomic on its own, inside a transaction or not."""


class TransactionLost(RuntimeError):
    """The store undid the whole transaction on its own (a full disk, an I/O error), not
    just the failed savepoint: nothing written since `transaction()` began remains."""


class Store(Protocol):
    """The repositories that commit together: a unit of work.

    Every change happens inside `transaction()`: all of it is committed, or, when
    the block raises, none of it.
    """

    points: ConsumptionRepository
    archives: ArchiveLog

    def transaction(self) -> AbstractContextManager[None]:
        """A context in which every change is committed together, or not at all."""

    def savepoint(self) -> AbstractContextManager[None]:
        """Inside a transaction, a part that is undone on its own when it raises; raises
        `TransactionLost` instead when the failure undid the whole transaction."""

    def close(self) -> None:
        """Release what the store holds (a database connection); by default, nothing."""
        return None


class ArchiveSource(Protocol):
    """Where archives are downloaded from: RTE (`eco2mix.download.RteClient`), or a fake."""

    def url(self, archive: Archive) -> str:
        """Where `archive` is downloaded from, as reports name it."""

    async def download(self, archive: Archive, known: ArchiveRecord | None, into: Path) -> Download:
        """Download `archive` into a temporary file in `into`, unless it is the same as `known`.
        Never raises for what the remote side or the network does: the outcome says it."""
