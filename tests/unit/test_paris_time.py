import datetime as dt

from consumption.domain.paris_time import (
    exists_in_paris,
    paris_isoformat,
    paris_to_utc,
    wall_clock_to_utc,
)


def test_fast_path_agrees_with_zoneinfo_for_every_half_hour_of_two_years():
    day = dt.date(2024, 1, 1)
    while day < dt.date(2026, 1, 1):
        for minutes in range(0, 1440, 30):
            naive = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
            assert wall_clock_to_utc(day, minutes) == paris_to_utc(naive), naive
        day += dt.timedelta(1)


def test_spring_forward_gap_does_not_exist():
    assert not exists_in_paris(dt.datetime(2025, 3, 30, 2, 0))
    assert not exists_in_paris(dt.datetime(2025, 3, 30, 2, 30))
    assert wall_clock_to_utc(dt.date(2025, 3, 30), 2 * 60) is None
    # 01:30 is winter time (+01:00), 03:00 summer time (+02:00): both are 01:xx UTC.
    assert wall_clock_to_utc(dt.date(2025, 3, 30), 90) == int(
        dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC).timestamp()
    )
    assert wall_clock_to_utc(dt.date(2025, 3, 30), 180) == int(
        dt.datetime(2025, 3, 30, 1, 0, tzinfo=dt.UTC).timestamp()
    )


def test_fall_back_hour_is_taken_in_summer_time():
    assert wall_clock_to_utc(dt.date(2025, 10, 26), 2 * 60) == int(
        dt.datetime(2025, 10, 26, 0, 0, tzinfo=dt.UTC).timestamp()
    )
    assert wall_clock_to_utc(dt.date(2025, 10, 26), 3 * 60) == int(
        dt.datetime(2025, 10, 26, 2, 0, tzinfo=dt.UTC).timestamp()
    )


def test_isoformat_carries_the_offset_of_the_instant():
    winter = int(dt.datetime(2025, 1, 1, 5, 0, tzinfo=dt.UTC).timestamp())
    summer = int(dt.datetime(2025, 7, 1, 4, 0, tzinfo=dt.UTC).timestamp())
    assert paris_isoformat(winter) == "2025-01-01T06:00:00+01:00"
    assert paris_isoformat(summer) == "2025-07-01T06:00:00+02:00"


def test_fast_isoformat_agrees_with_datetime_across_decades_and_clock_changes():
    from consumption.domain.paris_time import PARIS

    checked = 0
    for year in (1970, 1976, 1995, 1996, 2012, 2024, 2025, 2026, 2099):
        start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
        for timestamp in range(start, start + 366 * 86_400, 1800):
            assert paris_isoformat(timestamp) == dt.datetime.fromtimestamp(timestamp, PARIS).isoformat()
            checked += 1
    # Around each 2025 change, second by second, and instants outside the table.
    for change in (dt.datetime(2025, 3, 30, 1, tzinfo=dt.UTC), dt.datetime(2025, 10, 26, 1, tzinfo=dt.UTC)):
        middle = int(change.timestamp())
        for timestamp in range(middle - 5, middle + 5):
            assert paris_isoformat(timestamp) == dt.datetime.fromtimestamp(timestamp, PARIS).isoformat()
    for timestamp in (-86_400 * 365, 4_200_000_000):
        assert paris_isoformat(timestamp) == dt.datetime.fromtimestamp(timestamp, PARIS).isoformat()
    assert checked > 150_000
