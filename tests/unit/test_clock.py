"""A zone's wall clock: offsets, ISO text, wall-clock times to UTC and bucket boundaries,
against zoneinfo directly; Paris's, the clock of RTE's files, on every half hour of years."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumption.domain.clock import PARIS, ZONE_NAMES, clock, half_hours_in
from consumption.web.aggregates import mean_watts
from tests.zone_labels import local_label

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


def test_a_clock_falling_back_across_midnight_keeps_every_instant_inside_its_day():
    # St John's fell back from 00:01 to 23:01 on 4 November 2007: the date went back to the
    # 3rd for an hour, after the 4th had begun. That hour stays in the 4th's bucket.
    c = clock("America/St_Johns")
    days = list(c.buckets("day", instant("2007-11-02T00:00-02:30"), instant("2007-11-06T00:00-03:30")))
    assert [(c.isoformat(low), high - low) for low, high in days] == [
        ("2007-11-02T00:00:00-02:30", 86_400),
        ("2007-11-03T00:00:00-02:30", 86_400),
        ("2007-11-04T00:00:00-02:30", 90_000),
        ("2007-11-05T00:00:00-03:30", 86_400),
    ]
    for low, high in days:
        assert all(c.bucket_start("day", t) == low and c.bucket_end("day", t) == high for t in range(low, high, 60))


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
            start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
            # Daily samples: tzdata's offset changes are days apart, so each offset is seen.
            offsets = {c.local(t).utcoffset() for t in range(start, start + 366 * 86_400, 86_400)}
            assert all(offset is not None and offset.total_seconds() % 60 == 0 for offset in offsets), name


@given(st.integers(0, 10**12), st.integers(1, 10**6))
def test_mean_watts_is_the_exact_mean_rounded_half_to_even(total_mw, count):
    assert mean_watts(total_mw, count) == round(Fraction(total_mw * 1_000_000, count))


def test_half_hours_in_counts_the_utc_grid():
    assert half_hours_in(0, 1800) == 1
    assert half_hours_in(1, 1800) == 0
    assert half_hours_in(900, 2700) == 1
    assert half_hours_in(0, 86_400) == 48


def test_every_zone_name_is_one_zoneinfo_loads_and_the_default_is_among_them():
    assert "Europe/Paris" in ZONE_NAMES and "localtime" not in ZONE_NAMES
    assert all(ZoneInfo(name).key == name for name in ZONE_NAMES)


def test_spring_forward_gap_does_not_exist():
    assert not PARIS.exists(dt.datetime(2025, 3, 30, 2, 0))
    assert not PARIS.exists(dt.datetime(2025, 3, 30, 2, 30))
    assert PARIS.to_utc(dt.datetime(2025, 3, 30) + dt.timedelta(minutes=2 * 60)) is None
    # 01:30 is winter time (+01:00), 03:00 summer time (+02:00): both are 01:xx UTC.
    assert PARIS.to_utc(dt.datetime(2025, 3, 30) + dt.timedelta(minutes=90)) == int(
        dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC).timestamp()
    )
    assert PARIS.to_utc(dt.datetime(2025, 3, 30) + dt.timedelta(minutes=180)) == int(
        dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC).timestamp()
    )


def test_fall_back_hour_is_taken_in_summer_time():
    assert PARIS.to_utc(dt.datetime(2025, 10, 26) + dt.timedelta(minutes=2 * 60)) == int(
        dt.datetime(2025, 10, 26, 0, 0, tzinfo=dt.UTC).timestamp()
    )
    assert PARIS.to_utc(dt.datetime(2025, 10, 26) + dt.timedelta(minutes=3 * 60)) == int(
        dt.datetime(2025, 10, 26, 2, 0, tzinfo=dt.UTC).timestamp()
    )


def test_isoformat_carries_the_offset_of_the_instant():
    winter = int(dt.datetime(2025, 1, 1, 5, 0, tzinfo=dt.UTC).timestamp())
    summer = int(dt.datetime(2025, 7, 1, 4, 0, tzinfo=dt.UTC).timestamp())
    assert PARIS.isoformat(winter) == "2025-01-01T06:00:00+01:00"
    assert PARIS.isoformat(summer) == "2025-07-01T06:00:00+02:00"


def test_fast_isoformat_agrees_with_datetime_across_decades_and_clock_changes():
    checked = 0
    for year in (1970, 1976, 1995, 1996, 2012, 2024, 2025, 2026, 2099):
        start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
        for timestamp in range(start, start + 366 * 86_400, 1800):
            assert PARIS.isoformat(timestamp) == dt.datetime.fromtimestamp(timestamp, PARIS.zone).isoformat()
            checked += 1
    # Around each 2025 change, second by second, and instants outside the years the API names.
    for change in (dt.datetime(2025, 3, 30, 1, tzinfo=dt.UTC), dt.datetime(2025, 10, 26, 1, tzinfo=dt.UTC)):
        middle = int(change.timestamp())
        for timestamp in range(middle - 5, middle + 5):
            assert PARIS.isoformat(timestamp) == dt.datetime.fromtimestamp(timestamp, PARIS.zone).isoformat()
    for timestamp in (-86_400 * 365, 4_200_000_000):
        assert PARIS.isoformat(timestamp) == dt.datetime.fromtimestamp(timestamp, PARIS.zone).isoformat()
    assert checked > 150_000


def test_local_is_the_zone_s_date_time_with_its_offset():
    assert PARIS.local(1735707600) == dt.datetime(2025, 1, 1, 6, 0, tzinfo=PARIS.zone)
    assert PARIS.local(1735707600).utcoffset() == dt.timedelta(hours=1)
