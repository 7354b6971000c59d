"""The reader: which lines become which points, and which lines are refused."""

import datetime as dt
import io

import pytest

from consumption.domain import Nature
from consumption.eco2mix.parser import Eco2mixError, FileContents, parse_eco2mix
from tests.eco2mix_files import (
    NEW_COLUMNS,
    OLD_COLUMNS,
    SHUFFLED_COLUMNS,
    days,
    default_value,
    eco2mix_lines,
    eco2mix_text,
    expected_points,
)


def parse(text: str, name: str = "test.xls") -> dict[int, int]:
    return {p.timestamp: p.consumption_mw for p in parse_eco2mix(io.StringIO(text), name)}


def utc(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


def test_an_ordinary_day_gives_48_half_hours_at_their_utc_instants():
    day = [dt.date(2025, 1, 2)]
    points = parse(eco2mix_text(eco2mix_lines(day)))
    assert len(points) == 48
    assert points == expected_points(day)
    # 06:00 in Paris in winter is 05:00 UTC.
    assert points[utc(2025, 1, 2, 5, 0)] == default_value(day[0], 6 * 60)


def test_a_summer_day_is_two_hours_ahead_of_utc():
    day = dt.date(2025, 7, 14)
    points = parse(eco2mix_text(eco2mix_lines([day])))
    assert points[utc(2025, 7, 14, 4, 0)] == default_value(day, 6 * 60)


def test_spring_forward_day_drops_the_lines_of_the_missing_hour():
    day = dt.date(2025, 3, 30)
    points = parse(eco2mix_text(eco2mix_lines([day])))
    assert len(points) == 46
    assert points == expected_points([day])
    # 01:30 (+01:00) is followed by 03:00 (+02:00), half an hour later in UTC.
    assert points[utc(2025, 3, 30, 0, 30)] == default_value(day, 90)
    assert points[utc(2025, 3, 30, 1, 0)] == default_value(day, 180)
    assert default_value(day, 120) not in points.values()


def test_fall_back_day_takes_its_single_0200_lines_as_summer_time():
    day = dt.date(2025, 10, 26)
    points = parse(eco2mix_text(eco2mix_lines([day])))
    assert len(points) == 48
    assert points == expected_points([day])
    assert points[utc(2025, 10, 26, 0, 0)] == default_value(day, 120)  # 02:00+02:00
    assert points[utc(2025, 10, 26, 0, 30)] == default_value(day, 150)  # 02:30+02:00
    assert utc(2025, 10, 26, 1, 0) not in points  # 02:00+01:00 has no line of its own
    assert points[utc(2025, 10, 26, 2, 0)] == default_value(day, 180)  # 03:00+01:00


def test_half_hour_only_files_give_the_same_points_as_quarter_hour_files():
    span = days(dt.date(2024, 2, 28), dt.date(2024, 3, 1))
    quarter = parse(eco2mix_text(eco2mix_lines(span)))
    half = parse(eco2mix_text(eco2mix_lines(span, half_hours_only=True, nature="definitive")))
    assert quarter == half == expected_points(span)


def test_day_first_dates_are_read_like_iso_dates():
    span = days(dt.date(2025, 3, 29), dt.date(2025, 3, 31))
    iso = parse(eco2mix_text(eco2mix_lines(span)))
    day_first = parse(eco2mix_text(eco2mix_lines(span, date_format="%d/%m/%Y")))
    assert iso == day_first == expected_points(span)


@pytest.mark.parametrize("columns", [NEW_COLUMNS, OLD_COLUMNS, SHUFFLED_COLUMNS])
def test_columns_are_found_by_header_name(columns):
    span = [dt.date(2016, 6, 1)]
    text = eco2mix_text(eco2mix_lines(span, columns=columns), columns=columns)
    assert parse(text) == expected_points(span)


@pytest.mark.parametrize("missing", ["", "ND", "-", " "])
def test_missing_values_are_skipped(missing):
    day = dt.date(2017, 9, 1)

    def value(d, minutes):
        return missing if minutes >= 12 * 60 else default_value(d, minutes)

    points = parse(eco2mix_text(eco2mix_lines([day], value)))
    assert points == expected_points([day], value)
    assert len(points) == 24


def test_forecast_only_lines_and_the_disclaimer_are_skipped():
    day = dt.date(2026, 3, 15)

    def value(d, minutes):
        return default_value(d, minutes) if minutes < 6 * 60 else None

    lines = eco2mix_lines([day], value, forecast=lambda d, m: 50_000)
    summary = FileContents("tr.xls")
    points = list(parse_eco2mix(io.StringIO(eco2mix_text(lines)), "tr.xls", summary))
    assert len(points) == 12
    assert summary.data_lines == 96
    assert summary.half_hours == 12
    assert summary.perimeter == "France"
    assert summary.natures == {Nature.REAL_TIME}
    assert summary.first == utc(2026, 3, 14, 23, 0)
    assert summary.last == utc(2026, 3, 15, 4, 30)


@pytest.mark.parametrize(
    ("nature", "expected"),
    [
        ("real-time", Nature.REAL_TIME),
        ("consolidated", Nature.CONSOLIDATED),
        ("definitive", Nature.DEFINITIVE),
    ],
)
def test_nature_is_read_from_each_line(nature, expected):
    text = eco2mix_text(eco2mix_lines([dt.date(2025, 1, 1)], nature=nature))
    natures = {p.nature for p in parse_eco2mix(io.StringIO(text), "f.xls")}
    assert natures == {expected}


def refused(text: str, name: str = "bad.xls") -> Eco2mixError:
    with pytest.raises(Eco2mixError) as caught:
        list(parse_eco2mix(io.StringIO(text), name))
    assert name in str(caught.value)
    return caught.value


def with_line(line_number: int, replace: str) -> str:
    """A valid one-day file whose data line `line_number` (file line, 1 is the header) is replaced."""
    lines = eco2mix_lines([dt.date(2025, 1, 1)])
    lines[line_number - 2] = replace
    return eco2mix_text(lines)


def test_a_foreign_perimeter_is_refused_with_its_name():
    error = refused(eco2mix_text(eco2mix_lines([dt.date(2014, 1, 1)], perimeter="Bretagne")))
    assert "Bretagne" in str(error)
    assert error.line == 2


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("France\tDonnées temps réel\t2025-01-01\t00:30\t5x000\t", "not an integer"),
        ("France\tDonnées temps réel\t2025-01-01\t00:30\t51000.5\t", "not an integer"),
        ("France\tDonnées temps réel\t2025-02-30\t00:30\t51000\t", "invalid date"),
        ("France\tDonnées temps réel\t01/13/2025\t00:30\t51000\t", "invalid date"),
        ("France\tDonnées temps réel\t2025-01-01\t24:00\t51000\t", "invalid time"),
        ("France\tDonnées temps réel\t2025-01-01\t12:61\t51000\t", "invalid time"),
        ("France\tDonnées temps réel\t2025-01-01", "fields"),
        ("France\tDonnées estimées\t2025-01-01\t00:30\t51000\t", "unknown nature"),
        ("France\tDonnées temps réel\t2025-01-01\t00:00\t51000\t", "appears twice"),
    ],
)
def test_malformed_lines_are_refused_naming_the_line(line, problem):
    # Line 4 of the file is the 00:30 line (header, 00:00, 00:15, 00:30).
    error = refused(with_line(4, line))
    assert problem in str(error)
    assert error.line == 4
    assert "line 4" in str(error)


def test_a_malformed_quarter_hour_line_is_refused_too():
    error = refused(with_line(3, "France\tDonnées temps réel\t2025-01-01\t00:15\tabc\t"))
    assert error.line == 3


def test_a_file_without_the_needed_columns_is_refused():
    error = refused("Date;Heures;Consommation\r\n2025-01-01;00:00;51000\r\n")
    assert "not an éCO2mix file" in str(error)


def test_an_empty_file_is_refused():
    assert "empty" in str(refused(""))


def test_a_header_without_data_gives_no_points():
    summary = FileContents("empty.xls")
    assert list(parse_eco2mix(io.StringIO(eco2mix_text([])), "empty.xls", summary)) == []
    assert summary.data_lines == 0
