"""RTE's archives for tests: their names, zips in RTE's layout, and a fetch or refresh run
against the fake RTE server as the command line composes it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import zipfile
from collections.abc import Callable

from consumption.bootstrap import rte_client
from consumption.config import Settings
from consumption.domain import Archive, Store
from consumption.services.refresh import FetchReport, archives_to_fetch, archives_to_refresh, fetch_archives
from consumption.storage.repository import SqliteStore
from tests.eco2mix_files import days, default_value, eco2mix_lines, eco2mix_text

TR = "eCO2mix_RTE_En-cours-TR.zip"
CONSOLIDATED = "eCO2mix_RTE_En-cours-Consolide.zip"
JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))


def definitive_name(year: int) -> str:
    return f"eCO2mix_RTE_Annuel-Definitif_{year}.zip"


def rte_zip(data_lines: list[str], member: str = "eCO2mix_RTE_En-cours-TR.xls") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, eco2mix_text(data_lines).encode("cp1252"))
    return buffer.getvalue()


def whole_year(year: int, value: Callable[[dt.date, int], int] = default_value) -> list[str]:
    """A definitive year's half-hour lines, as RTE's annual file holds them: the refresh asks
    RTE for a definitive year until the store holds it whole."""
    return eco2mix_lines(
        days(dt.date(year, 1, 1), dt.date(year, 12, 31)), value, nature="definitive", half_hours_only=True
    )


def shifted(by: int) -> Callable[[dt.date, int], int]:
    return lambda day, minutes: default_value(day, minutes) + by


def fetch(settings: Settings, from_year: int, to_year: int) -> FetchReport:
    return run(settings, lambda store: archives_to_fetch(from_year, to_year))


def refresh(settings: Settings, today: dt.date) -> FetchReport:
    return run(settings, lambda store: archives_to_refresh(store.points, today))


def run(settings: Settings, archives: Callable[[Store], list[Archive]], store: Store | None = None) -> FetchReport:
    """Fetch `archives` into the settings' database (or `store`) from RTE, as the command line does."""

    def open_store() -> Store:
        return store if store is not None else SqliteStore.open(settings.database_path)

    async def fetch_them() -> FetchReport:
        async with rte_client(settings) as rte:
            return await fetch_archives(open_store, rte, archives, settings.data_dir)

    return asyncio.run(fetch_them())
