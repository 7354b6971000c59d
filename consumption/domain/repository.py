"""The abstract repository of consumption points."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

from consumption.domain.model import ConsumptionPoint


@dataclass(frozen=True)
class DataSummary:
    """What a repository holds: how many half hours, and the first and last instants."""

    count: int
    first: int | None
    last: int | None


class ConsumptionRepository(abc.ABC):
    """Where consumption points are kept, one per half hour.

    `add` follows the precedence rule: a point replaces the stored one for the same
    half hour when its nature is at least as good, never when it is worse.
    """

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A context in which every `add` is committed together, or not at all."""

    @abc.abstractmethod
    def savepoint(self) -> AbstractContextManager[None]:
        """Inside a transaction, a part that is undone on its own when it fails."""

    @abc.abstractmethod
    def add(self, points: Iterable[ConsumptionPoint]) -> int:
        """Store `points`, streaming them; return how many were written."""

    @abc.abstractmethod
    def between(self, start: int, end: int) -> Iterator[ConsumptionPoint]:
        """The points whose half hour starts in [start, end] (UTC seconds), in time order."""

    @abc.abstractmethod
    def summary(self) -> DataSummary:
        """How many points are stored, and the first and last instants."""
