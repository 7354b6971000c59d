"""A zone's wall clock: offsets, ISO text and bucket boundaries, against zoneinfo directly."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumption.web.aggregates import mean_watts
from consumption.web.clock import ZONE_NAMES, clock, half_hours_in
from tests.zone_labels import local_label

PARIS = ZoneInfo("Europe/Paris")
SOME_ZONES = [
    "Europe/Paris",
    "UTC",
    "America/New_York",
    "America/Santiago",  # springs forward at midnight: some local days start at 01:00
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # a 30-minute clock change
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "Africa/Casablanca",  # clock changes around Ramadan
    "Pacific/Kiritimati",  # +14:00
]


def instant(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def spans(zone: str, interval: str, start: str, stop: str) -> list[tuple[str, int]]:
    """(start with offset, half hours) of each bucket of [start, stop)."""
    c = clock(zone)
    return [
        (c.isoformat(low), half_hours_in(low, high)) for low, high in c.buckets(interval, instant(start), instant(stop))
    ]


def test_a_paris_day_has_46_half_hours_in_spring_and_50_in_autumn():
    assert spans("Europe/Paris", "day", "2025-03-29T00:00+01:00", "2025-04-01T00:00+02:00") == [
        ("2025-03-29T00:00:00+01:00", 48),
        ("2025-03-30T00:00:00+01:00", 46),
        ("2025-03-31T00:00:00+02:00", 48),
    ]
    assert spans("Europe/Paris", "day", "2025-10-25T00:00+02:00", "2025-10-28T00:00+01:00") == [
        ("2025-10-25T00:00:00+02:00", 48),
        ("2025-10-26T00:00:00+02:00", 50),
        ("2025-10-27T00:00:00+01:00", 48),
    ]


def test_hours_of_the_clock_changes_each_have_their_offset():
    spring = spans("Europe/Paris", "hour", "2025-03-30T00:00+01:00", "2025-03-30T04:00+02:00")
    assert [s for s, _ in spring] == [
        "2025-03-30T00:00:00+01:00",
        "2025-03-30T01:00:00+01:00",
        "2025-03-30T03:00:00+02:00",
    ]
    autumn = spans("Europe/Paris", "hour", "2025-10-26T01:00+02:00", "2025-10-26T04:00+01:00")
    assert autumn == [
        ("2025-10-26T01:00:00+02:00", 2),
        ("2025-10-26T02:00:00+02:00", 2),
        ("2025-10-26T02:00:00+01:00", 2),
        ("2025-10-26T03:00:00+01:00", 2),
    ]


def test_weeks_start_on_monday_and_months_and_years_on_the_first():
    weeks = spans("Europe/Paris", "week", "2025-03-26T00:00+01:00", "2025-04-08T00:00+02:00")
    assert weeks == [
        ("2025-03-26T00:00:00+01:00", 5 * 48 - 2),  # clipped: Wednesday to Sunday 30 March
        ("2025-03-31T00:00:00+02:00", 7 * 48),
        ("2025-04-07T00:00:00+02:00", 48),
    ]
    months = spans("Europe/Paris", "month", "2025-01-01T00:00+01:00", "2026-01-01T00:00+01:00")
    assert [s for s, _ in months][2:4] == ["2025-03-01T00:00:00+01:00", "2025-04-01T00:00:00+02:00"]
    assert months[2][1] == 31 * 48 - 2 and months[9][1] == 31 * 48 + 2
    years = spans("Europe/Paris", "year", "2024-01-01T00:00+01:00", "2026-01-01T00:00+01:00")
    assert years == [("2024-01-01T00:00:00+01:00", 366 * 48), ("2025-01-01T00:00:00+01:00", 365 * 48)]


def test_a_day_whose_midnight_is_skipped_starts_when_the_clock_resumes():
    # Santiago springs forward from 24:00 to 01:00 on 7 September 2024.
    days = spans("America/Santiago", "day", "2024-09-06T00:00-04:00", "2024-09-09T00:00-03:00")
    assert days == [
        ("2024-09-06T00:00:00-04:00", 48),
        ("2024-09-07T00:00:00-04:00", 48),
        ("2024-09-08T01:00:00-03:00", 46),
    ]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(SOME_ZONES),
    interval=st.sampled_from(["hour", "day", "week", "month", "year"]),
    start=st.integers(946_684_800, 4_102_444_800 - 100 * 86_400),
    length=st.integers(1, 40 * 86_400),
)
def test_buckets_tile_the_range_and_change_exactly_where_the_local_label_does(zone, interval, start, length):
    if interval in ("month", "year"):
        length *= 12
    c, info = clock(zone), ZoneInfo(zone)
    stop = start + length
    buckets = list(c.buckets(interval, start, stop))
    assert buckets[0][0] == start and buckets[-1][1] == stop
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(buckets, buckets[1:], strict=False))

    def label(t: int) -> object:
        return local_label(dt.datetime.fromtimestamp(t, info), interval)

    for low, high in buckets:
        assert label(low) == label(high - 1)  # one label inside a bucket
        if low != start:
            assert label(low - 1) != label(low)  # and a new one at each boundary
        assert c.bucket_start(interval, high - 1) <= low
        assert c.bucket_end(interval, low) >= high


@pytest.mark.parametrize("zone", SOME_ZONES)
def test_iso_text_is_zoneinfo_s(zone):
    c, info = clock(zone), ZoneInfo(zone)
    for t in range(946_684_800, 4_102_444_800, 3_000_017):  # about 1,000 instants, every 35 days
        for instant_ in (t, t - t % 1800):
            assert c.isoformat(instant_) == dt.datetime.fromtimestamp(instant_, info).isoformat()


def test_every_zone_offset_of_2000_2100_is_in_whole_minutes():
    """So that every bound echoed is RFC 3339 (no seconds in the offset), whatever `tz`."""
    for name in ZONE_NAMES:
        c = clock(name)
        for year in (2000, 2024, 2100):
            assert all(segment.offset % 60 == 0 for segment in c._year(year)), name


@given(st.integers(0, 10**12), st.integers(1, 10**6))
def test_mean_watts_is_the_exact_mean_rounded_half_to_even(total_mw, count):
    assert mean_watts(total_mw, count) == round(Fraction(total_mw * 1_000_000, count))


def test_half_hours_in_counts_the_utc_grid():
    assert half_hours_in(0, 1800) == 1
    assert half_hours_in(1, 1800) == 0
    assert half_hours_in(900, 2700) == 1
    assert half_hours_in(0, 86_400) == 48
