"""Fetching from RTE, against a real HTTP server on 127.0.0.1 serving zips in RTE's paths."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import sqlite3
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from consumption.bootstrap import build_app
from consumption.cli import main
from consumption.config import Settings, parse_interval
from consumption.domain import Outcome
from tests.eco2mix_files import days, eco2mix_lines, expected_points
from tests.helpers import refused_url, running_server, stored_rows
from tests.rte_archives import CONSOLIDATED, JANUARY, TR, definitive_name, fetch, refresh, rte_zip, shifted, whole_year


def snapshot(settings: Settings) -> tuple[list, list, dict[str, bytes]]:
    """Everything a failed fetch must leave as it was: rows, archive records, files."""
    with sqlite3.connect(settings.database_path) as connection:
        archives = connection.execute("SELECT * FROM archive ORDER BY name").fetchall()
    files = {
        p.name: p.read_bytes()
        for p in sorted(settings.data_dir.iterdir())
        if not p.name.startswith("consumption.sqlite3")
    }
    return stored_rows(settings.database_path), archives, files


def test_fetch_downloads_and_imports_every_published_archive(rte, settings):
    rte.files[definitive_name(2024)] = rte_zip(
        eco2mix_lines(days(dt.date(2024, 12, 30), dt.date(2024, 12, 31)), nature="definitive", half_hours_only=True),
        "eCO2mix_RTE_Annuel-Definitif_2024.xls",
    )
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:2], nature="consolidated"))
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY[1:]))
    report = fetch(settings, 2023, 2025)

    outcomes = {d.archive.name: d.outcome for d in report.downloads}
    assert outcomes == {
        definitive_name(2023): Outcome.NOT_PUBLISHED,
        definitive_name(2024): Outcome.DOWNLOADED,
        definitive_name(2025): Outcome.NOT_PUBLISHED,
        CONSOLIDATED: Outcome.DOWNLOADED,
        TR: Outcome.DOWNLOADED,
    }
    assert report.ok
    rows = stored_rows(settings.database_path)
    assert len(rows) == 2 * 48 + 3 * 48
    natures = {}
    for t, _, nature in rows:
        natures[dt.datetime.fromtimestamp(t, dt.UTC).date()] = nature
    assert natures[dt.date(2024, 12, 30)] == 3
    assert natures[dt.date(2025, 1, 1)] == 2  # consolidated beats the real-time file
    assert natures[dt.date(2025, 1, 3)] == 1
    assert sorted(p.name for p in settings.data_dir.iterdir() if p.suffix == ".zip") == sorted(
        [definitive_name(2024), CONSOLIDATED, TR]
    )
    assert (settings.data_dir / TR).read_bytes() == rte.files[TR]
    assert not list(settings.data_dir.glob("*.part"))
    assert all("consumption/" in headers["User-Agent"] for _, headers in rte.requests)


def test_a_second_fetch_downloads_nothing_new(rte, settings):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:1], nature="consolidated"))
    assert fetch(settings, 2025, 2025).ok
    before = snapshot(settings)
    report = refresh(settings, today=dt.date(2025, 6, 1))
    assert {d.archive.name: d.outcome for d in report.downloads} == {
        **{definitive_name(year): Outcome.NOT_PUBLISHED for year in range(2012, 2025)},
        CONSOLIDATED: Outcome.UNCHANGED,
        TR: Outcome.UNCHANGED,
    }
    assert rte.served(TR) == rte.served(CONSOLIDATED) == 1
    assert any(h.get("If-None-Match") for p, h in rte.requests[-2:])
    assert snapshot(settings) == before


def test_without_etags_an_unchanged_archive_is_recognised_by_its_content(rte, settings):
    rte.send_validators = False
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines([]))
    assert fetch(settings, 2025, 2025).ok
    report = refresh(settings, today=dt.date(2025, 6, 1))
    assert {d.archive.name: d.outcome for d in report.downloads}[TR] is Outcome.UNCHANGED


def test_refresh_imports_a_changed_archive(rte, settings):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY[:1]))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:1], nature="consolidated"))
    assert refresh(settings, today=dt.date(2025, 1, 2)).ok
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
    report = refresh(settings, today=dt.date(2025, 1, 4))
    assert {d.archive.name: d.outcome for d in report.downloads}[TR] is Outcome.DOWNLOADED
    assert len(stored_rows(settings.database_path)) == 3 * 48


def test_precedence_holds_across_refreshes(rte, settings):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines([]))
    assert refresh(settings, today=dt.date(2025, 1, 4)).ok
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY, shifted(5), nature="consolidated"))
    assert refresh(settings, today=dt.date(2025, 2, 4)).ok
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY, shifted(-9)))  # a later real-time file
    report = refresh(settings, today=dt.date(2025, 2, 5))
    assert {d.archive.name: d.outcome for d in report.downloads}[TR] is Outcome.DOWNLOADED
    rows = stored_rows(settings.database_path)
    assert {t: mw for t, mw, _ in rows} == expected_points(JANUARY, shifted(5))
    assert {n for _, _, n in rows} == {2}


def test_refresh_asks_for_last_years_definitive_file_until_it_is_imported(rte, settings):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines([]))
    today = dt.date(2025, 2, 1)
    assert refresh(settings, today=today).ok
    rte.files[definitive_name(2024)] = rte_zip(
        eco2mix_lines([dt.date(2024, 12, 31)], nature="definitive"), "eCO2mix_RTE_Annuel-Definitif_2024.xls"
    )
    report = refresh(settings, today=today)
    assert {d.archive.name: d.outcome for d in report.downloads}[definitive_name(2024)] is Outcome.DOWNLOADED
    # One definitive day does not stand for the year: asked again (unchanged) until RTE's file holds it whole.
    report = refresh(settings, today=today)
    assert {d.archive.name: d.outcome for d in report.downloads}[definitive_name(2024)] is Outcome.UNCHANGED
    rte.files[definitive_name(2024)] = rte_zip(whole_year(2024), "eCO2mix_RTE_Annuel-Definitif_2024.xls")
    report = refresh(settings, today=today)
    assert {d.archive.name: d.outcome for d in report.downloads}[definitive_name(2024)] is Outcome.DOWNLOADED
    report = refresh(settings, today=today)
    assert definitive_name(2024) not in [d.archive.name for d in report.downloads]


@pytest.fixture
def refused() -> Iterator[str]:
    """An RTE URL that refuses connections for as long as the test runs."""
    with refused_url() as url:
        yield url


FAILURES = {
    "connection refused": ("base_url", "cannot reach RTE (connection failed)"),
    "connection closed": ("refuse", "cannot reach RTE"),
    "time-out": ("slow", "timed out"),
    "HTTP 500": ("500", "HTTP 500"),
    "HTML page with status 200": ("html", "an HTML page"),
    "truncated zip": ("truncated", "not a readable zip archive"),
    "zip with no éCO2mix file": ("no-eco2mix", "holds no éCO2mix file"),
    "foreign perimeter": ("bretagne", "perimeter 'Bretagne' is not 'France'"),
    "malformed line": ("malformed", "line 3: consumption 'abc'"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_whatever_rte_answers_nothing_is_lost(case, rte, settings, refused, capsys, monkeypatch):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY[:1]))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY[:1], nature="consolidated"))
    assert refresh(settings, today=dt.date(2025, 1, 2)).ok
    before = snapshot(settings)

    fault, reason = FAILURES[case]
    new_lines = eco2mix_lines(JANUARY, shifted(3))
    if fault == "bretagne":
        rte.files[TR] = rte_zip(eco2mix_lines(JANUARY, perimeter="Bretagne"))
    elif fault == "malformed":
        new_lines[1] = "France\tDonnées temps réel\t2025-01-01\t00:15\tabc\t"
        rte.files[TR] = rte_zip(new_lines)
    elif fault == "no-eco2mix":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("LISEZMOI.txt", "rien")
        rte.files[TR] = buffer.getvalue()
    else:
        rte.files[TR] = rte_zip(new_lines)
        if fault == "base_url":
            settings = dataclasses.replace(settings, rte_base_url=refused)
        else:
            rte.faults[TR] = fault
    rte.slow_seconds = settings.http_timeout * 3

    for name, value in [
        ("DATA_DIR", settings.data_dir),
        ("DATABASE_PATH", settings.database_path),
        ("RTE_BASE_URL", settings.rte_base_url),
        ("HTTP_TIMEOUT", settings.http_timeout),
    ]:
        monkeypatch.setenv(name, str(value))
    assert main(["refresh"]) == 1
    err = capsys.readouterr().err
    assert reason in err
    # With RTE unreachable, the first archive is the one tried; the summary says the rest were not.
    assert (TR in err) if fault != "base_url" else ("the others not tried: RTE could not be reached" in err)
    assert snapshot(settings) == before
    assert not [p for p in settings.data_dir.iterdir() if p.name.endswith(".part")]


def test_a_failed_archive_is_skipped_and_the_others_imported(rte, settings):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines(JANUARY, perimeter="Bretagne", nature="consolidated"))
    report = refresh(settings, today=dt.date(2025, 1, 4))
    assert not report.ok
    assert {d.archive.name: d.outcome for d in report.downloads}[CONSOLIDATED] is Outcome.FAILED
    assert CONSOLIDATED in report.describe() and "Bretagne" in report.describe()
    assert {t: mw for t, mw, _ in stored_rows(settings.database_path)} == expected_points(JANUARY)
    assert not (settings.data_dir / CONSOLIDATED).exists()


def test_unreachable_rte_stops_the_fetch_early(settings, refused):
    settings = dataclasses.replace(settings, rte_base_url=refused)
    report = fetch(settings, 2012, 2025)
    assert not report.ok
    assert len(report.downloads) == 16
    outcomes = [d.outcome for d in report.downloads]
    assert outcomes == [Outcome.FAILED] + [Outcome.NOT_TRIED] * 15  # one tried, not sixteen failed
    assert report.describe().startswith("16 archives: 1 failed, 15 not tried; failed: ")


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("1h", 3600), ("1d", 86400), ("0", 0), ("", 0), (" 2S ", 2)]
)
def test_refresh_intervals(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["5", "1w", "-1h", "1.5h", "h", "0s"])
def test_an_invalid_refresh_interval_stops_start_up(text, monkeypatch, capsys):
    monkeypatch.setenv("REFRESH_INTERVAL", text)
    assert main(["serve"]) == 2
    assert "REFRESH_INTERVAL" in capsys.readouterr().err


def test_the_service_picks_up_a_changed_file_while_answering(rte, settings):
    rte.files[TR] = rte_zip(eco2mix_lines(JANUARY[:1]))
    rte.files[CONSOLIDATED] = rte_zip(eco2mix_lines([]))
    settings = dataclasses.replace(settings, refresh_interval=1)
    with running_server(build_app(settings)) as url, httpx.Client(base_url=url, timeout=5) as client:
        params = {"start": "2025-01-01", "end": "2025-01-03"}
        deadline = time.monotonic() + 15
        counts = []
        while time.monotonic() < deadline:
            response = client.get("/consumption", params=params)
            if response.status_code == 200:
                counts.append(response.json()["count"])
                if counts[-1] == 48:
                    break
            time.sleep(0.05)
        assert counts and counts[-1] == 48
        rte.files[TR] = rte_zip(eco2mix_lines(JANUARY))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            response = client.get("/consumption", params=params)
            assert response.status_code == 200
            count = response.json()["count"]
            assert count in (48, 144)  # the old state or the new, never in between
            if count == 144:
                break
            time.sleep(0.05)
        assert count == 144
        health = client.get("/health").json()
    assert health["refresh"]["ok"] is True
    assert "archives" in health["refresh"]["summary"]


def test_a_year_before_rtes_first_archive_is_refused_naming_it(rte, settings, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RTE_BASE_URL", settings.rte_base_url)
    assert main(["fetch", "--from-year", "1990", "--to-year", "2013"]) == 2
    err = capsys.readouterr().err
    assert "--from-year 1990" in err and "2012" in err
    assert rte.requests == []
