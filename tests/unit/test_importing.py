"""The import service on the in-memory store: all or nothing, idempotent, precedence."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from consumption.domain import Nature
from consumption.eco2mix.parser import Eco2mixError
from consumption.services.importing import ImportReport, Source, add_sources
from tests.eco2mix_files import days, default_value, eco2mix_lines, eco2mix_text, expected_points
from tests.memory_store import MemoryStore

JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))


@dataclass(frozen=True)
class TextSource:
    """An éCO2mix file held in memory: what the service needs of a source."""

    name: str
    text: str

    @contextmanager
    def open(self, limits: object = None) -> Iterator[io.BytesIO]:
        yield io.BytesIO(self.text.encode("cp1252"))


def import_sources(sources: list[Source], store: MemoryStore) -> ImportReport:
    """What `consumption import` does with its files: all of them in one transaction, or none."""
    with store.transaction():
        return add_sources(sources, store.points)


def source(name: str, data_lines: list[str]) -> TextSource:
    return TextSource(name, eco2mix_text(data_lines))


def stored(store: MemoryStore) -> dict[int, tuple[int, Nature]]:
    return {p.timestamp: (p.consumption_mw, p.nature) for p in store.points.between(0, 2**40)}


def test_an_import_stores_every_half_hour_and_reports_what_it_read() -> None:
    store = MemoryStore()
    report = import_sources([source("tr.xls", eco2mix_lines(JANUARY))], store)
    expected = expected_points(JANUARY)
    assert {t: mw for t, (mw, _) in stored(store).items()} == expected
    assert (report.half_hours, report.changed) == (len(expected), len(expected))
    assert report.files[0].natures == {Nature.REAL_TIME}


def test_importing_the_same_file_twice_changes_nothing_the_second_time() -> None:
    store = MemoryStore()
    import_sources([source("tr.xls", eco2mix_lines(JANUARY))], store)
    generation = store.generation
    report = import_sources([source("tr.xls", eco2mix_lines(JANUARY))], store)
    assert report.changed == 0
    assert store.generation == generation  # readers' caches stay valid


def test_one_bad_file_and_the_whole_run_writes_nothing() -> None:
    store = MemoryStore()
    import_sources([source("old.xls", eco2mix_lines([dt.date(2024, 1, 1)]))], store)
    before = stored(store)
    bad_lines = eco2mix_lines(JANUARY)
    bad_lines[100] = bad_lines[100].replace("France", "Bretagne")
    with pytest.raises(Eco2mixError, match=r"bad\.xls, line 102: perimeter 'Bretagne'"):
        import_sources(
            [source("good.xls", eco2mix_lines(JANUARY)), source("bad.xls", bad_lines)],
            store,
        )
    assert stored(store) == before


def test_a_consolidated_file_replaces_real_time_and_real_time_never_comes_back() -> None:
    store = MemoryStore()

    def plus_seven(day: dt.date, minutes: int) -> int:
        return default_value(day, minutes) + 7

    import_sources([source("tr.xls", eco2mix_lines(JANUARY))], store)
    import_sources([source("cons.xls", eco2mix_lines(JANUARY, plus_seven, nature="consolidated"))], store)
    report = import_sources([source("tr.xls", eco2mix_lines(JANUARY))], store)
    assert report.changed == 0
    assert set(stored(store).values()) == {
        (mw, Nature.CONSOLIDATED) for mw in expected_points(JANUARY, plus_seven).values()
    }
