"""Entities: a half-hour consumption point and the nature of its data."""

from __future__ import annotations

import enum
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

    @classmethod
    def from_label(cls, label: str) -> Nature:
        for nature in cls:
            if nature.label == label:
                return nature
        raise ValueError(f"unknown nature {label!r}")


class ConsumptionPoint(NamedTuple):
    """France's consumption during the half hour that starts at `timestamp`.

    `timestamp` is a UTC instant in Unix seconds, a multiple of 1800. A named
    tuple, because an import makes a quarter of a million of them.
    """

    timestamp: int
    consumption_mw: int
    nature: Nature

    @property
    def consumption_w(self) -> int:
        return self.consumption_mw * WATTS_PER_MEGAWATT
