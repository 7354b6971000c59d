"""Every missing year filled: a refresh fetches each definitive year the
database does not hold wholly definitive, then the consolidated and real-time files."""

from __future__ import annotations

import datetime as dt

import pytest

from consumption.config import Settings
from consumption.domain import ConsumptionPoint, Nature, Outcome, Store
from consumption.services.importing import import_paths
from consumption.storage.repository import SqliteStore
from tests.eco2mix_files import eco2mix_lines, expected_points, paris_instant, write_eco2mix
from tests.helpers import stored_rows
from tests.memory_store import MemoryStore
from tests.rte_archives import CONSOLIDATED, JANUARY, TR, definitive_name, refresh, rte_zip, shifted, whole_year
from tests.rte_server import PREFIX, fake_rte


@pytest.fixture
def rte():
    with fake_rte() as server:
        yield server


@pytest.fixture
def settings(tmp_path, rte) -> Settings:
    data = tmp_path / "data"
    return Settings(data_dir=data, database_path=data / "consumption.sqlite3", rte_base_url=rte.base_url)


@pytest.fixture(params=["sqlite", "memory"])
def any_store(request, database_path):
    store: Store = SqliteStore.open(database_path) if request.param == "sqlite" else MemoryStore()
    yield store
    store.close()


def point(year: int, month: int, day: int, hour: int, minute: int, nature: Nature) -> ConsumptionPoint:
    instant = paris_instant(dt.datetime(year, month, day, hour, minute))
    assert instant is not None
    return ConsumptionPoint(instant, 50_000, nature)


def paris_year(year: int, nature: Nature = Nature.DEFINITIVE, missing: int = 0) -> list[ConsumptionPoint]:
    """Every half hour of Paris's `year` but the first `missing` ones."""
    start, end = paris_instant(dt.datetime(year, 1, 1)), paris_instant(dt.datetime(year + 1, 1, 1))
    assert start is not None and end is not None
    return [ConsumptionPoint(instant, 50_000, nature) for instant in range(start + missing * 1800, end, 1800)]


def test_definitive_years_are_paris_years_held_whole(any_store):
    assert any_store.points.definitive_years() == set()
    with any_store.transaction():
        any_store.points.add(
            [
                *paris_year(2019),  # up to 31 December 23:30 in Paris, 22:30 UTC
                point(2020, 1, 1, 0, 0, Nature.CONSOLIDATED),  # 23:00 UTC on 31 December: 2020 in Paris
                *paris_year(2020, missing=1),
                *paris_year(2021, missing=48),  # a day short, as RTE's file at most: whole
                *paris_year(2022, missing=49),  # more than a day short: not whole
                point(2023, 3, 1, 0, 0, Nature.DEFINITIVE),  # a definitive day does not stand for its year
                point(2024, 3, 1, 0, 0, Nature.REAL_TIME),
            ]
        )
    assert any_store.points.definitive_years() == {2019, 2021}


def embedded_history(folder) -> None:
    """What the embedded history holds, as local files with no archive records: whole years,
    definitive, for 2012–2020; a day, consolidated, for 2021."""
    for year in range(2012, 2021):
        write_eco2mix(folder / f"eCO2mix_RTE_Annuel-Definitif_{year}.xls", whole_year(year))
    write_eco2mix(folder / "consolidated-2021.xls", eco2mix_lines([dt.date(2021, 7, 1)], nature="consolidated"))


def definitive_requests(rte) -> list[str]:
    return [path.removeprefix(PREFIX) for path, _ in rte.requests if "Annuel-Definitif" in path]


def test_refresh_fills_every_missing_year_and_replaces_an_embedded_consolidated_year(rte, settings, tmp_path):
    history = tmp_path / "history"
    history.mkdir()
    embedded_history(history)
    store = SqliteStore.open(settings.database_path)
    try:
        import_paths([history], store)
    finally:
        store.close()
    july_2021 = [dt.date(2021, 7, 1)]
    rte.files[definitive_name(2021)] = rte_zip(whole_year(2021, shifted(7)), "eCO2mix_RTE_Annuel-Definitif_2021.xls")
    for year in (2022, 2023):
        rte.files[definitive_name(year)] = rte_zip(whole_year(year), f"eCO2mix_RTE_Annuel-Definitif_{year}.xls")
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:1], nature="consolidated"))
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))

    report = refresh(settings, today=dt.date(2025, 6, 1))

    assert report.ok, report.describe()
    assert {d.archive.name: d.outcome for d in report.downloads} == {
        definitive_name(2021): Outcome.DOWNLOADED,
        definitive_name(2022): Outcome.DOWNLOADED,
        definitive_name(2023): Outcome.DOWNLOADED,
        definitive_name(2024): Outcome.NOT_PUBLISHED,  # not published yet: not an error
        CONSOLIDATED: Outcome.DOWNLOADED,
        TR: Outcome.DOWNLOADED,
    }
    assert definitive_requests(rte) == [definitive_name(year) for year in (2021, 2022, 2023, 2024)]
    rows = {t: (mw, nature) for t, mw, nature in stored_rows(settings.database_path)}
    replaced = expected_points(july_2021, shifted(7))
    assert {t: rows[t] for t in replaced} == {t: (mw, 3) for t, mw in replaced.items()}

    again = refresh(settings, today=dt.date(2025, 6, 2))

    assert again.ok
    assert {d.archive.name: d.outcome for d in again.downloads} == {
        definitive_name(2024): Outcome.NOT_PUBLISHED,
        CONSOLIDATED: Outcome.UNCHANGED,
        TR: Outcome.UNCHANGED,
    }
    assert definitive_requests(rte)[4:] == [definitive_name(2024)]
    assert all(rte.served(name) == 1 for name in rte.files)  # each archive fetched once
