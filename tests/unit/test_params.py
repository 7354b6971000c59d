"""The parameters of /consumption: exactly what the OpenAPI document's patterns and lists allow."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumption.domain.clock import clock
from consumption.web.openapi import openapi_document
from consumption.web.params import BadParameter, parse_bound, preferred_format

PARIS = clock("Europe/Paris")
BOUND_PATTERN = openapi_document()["components"]["schemas"]["Bound"]["pattern"]
DOCUMENTED = re.compile(BOUND_PATTERN.removeprefix("^").removesuffix("$"))


@settings(max_examples=500, deadline=None)
@given(st.from_regex(DOCUMENTED, fullmatch=True), st.booleans())
def test_every_value_the_pattern_allows_is_read(text, is_end):
    try:
        parse_bound("start", text, PARIS, is_end=is_end)
    except BadParameter as error:
        assert "does not exist in Europe/Paris" in str(error)  # the one documented refusal


# Dates and times with each field a little beyond its range: where the pattern and the reader could disagree.
_HH_MM = "[0-2][0-9]:[0-6][0-9]"
NEAR_THE_FORM = re.compile(
    f"(?:1999|20[0-9]{{2}}|210[01])-[01][0-9]-[0-3][0-9](?:[T ]{_HH_MM}(?::[0-6][0-9])?(?:Z|[ +-]{_HH_MM})?)?"
)


@settings(max_examples=1000, deadline=None)
@given(st.from_regex(NEAR_THE_FORM, fullmatch=True))
def test_a_value_is_read_exactly_when_the_pattern_allows_it(text):
    try:
        parse_bound("start", text, PARIS, is_end=False)
        read = True
    except BadParameter as error:
        read = "does not exist in Europe/Paris" in str(error)  # allowed by the pattern, refused by the clock
    assert read == bool(DOCUMENTED.fullmatch(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "2025-02-29",  # not a leap year
        "2025-04-31",
        "2100-02-29",  # 2100 is not a leap year
        "1999-12-31",
        "2101-01-01",
        "1900-01-01",
        "9999-12-31",
        "2025-01-01T24:00",
        "2025-01-01  06:00",
        "2025-01-01 06:00 ",
        "2025-01-01T06:00+0100",
        "2025-01-01T06:00:00.1234567",
        "20250101",
        "2025-W01-1",
        "2025-01-01\n",
        " 2025-01-01",
        "",
    ],
)
def test_values_outside_the_pattern_are_refused(text):
    assert not DOCUMENTED.fullmatch(text)
    with pytest.raises(BadParameter, match="'start'"):
        parse_bound("start", text, PARIS, is_end=False)


def test_a_year_outside_the_range_is_told_so():
    for text in ("1900-01-01T00:00", "9999-12-31"):
        with pytest.raises(BadParameter, match="2000–2100"):
            parse_bound("end", text, PARIS, is_end=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019-02-30", "no such day (February 2019 has 28 days)"),
        ("2024-02-30T06:00", "no such day (February 2024 has 29 days)"),
        ("2019-04-31T06:00:00+02:00", "no such day (April 2019 has 30 days)"),
    ],
)
def test_a_day_the_month_lacks_is_told_so(text, message):
    with pytest.raises(BadParameter, match=re.escape(f"parameter 'start': {text!r}: {message}")):
        parse_bound("start", text, PARIS, is_end=False)


@pytest.mark.parametrize("text", ["2019-01-01T06:00:00.5", "2019-01-01T06:00:00,5+01:00", "2019-01-01T06:00:59.999Z"])
def test_a_fraction_of_a_second_is_refused_not_rounded(text):
    assert not DOCUMENTED.fullmatch(text)
    with pytest.raises(BadParameter, match=f"'end': {re.escape(repr(text))}: fractions of a second are refused"):
        parse_bound("end", text, PARIS, is_end=True)


def test_the_leap_days_of_the_range_are_accepted():
    assert DOCUMENTED.fullmatch("2000-02-29") and DOCUMENTED.fullmatch("2024-02-29")
    assert not DOCUMENTED.fullmatch("2023-02-29")


@pytest.mark.parametrize(
    ("spaced", "plain"),
    [
        ("2019-01-01 06:00", "2019-01-01T06:00"),
        ("2019-01-01 06:00:00", "2019-01-01T06:00:00"),
        ("2019-01-01 06:00Z", "2019-01-01T06:00Z"),
        ("2019-01-01 06:00:00+01:00", "2019-01-01T06:00:00+01:00"),
        ("2019-01-01 06:00:00 01:00", "2019-01-01T06:00:00+01:00"),  # and an offset's `+` sent as a space
        ("2019-01-01 06:00 05:30", "2019-01-01T06:00+05:30"),
    ],
)
def test_a_space_between_date_and_time_is_read_as_t(spaced, plain):
    assert DOCUMENTED.fullmatch(spaced)
    for is_end in (False, True):
        assert parse_bound("end", spaced, PARIS, is_end=is_end) == parse_bound("end", plain, PARIS, is_end=is_end)
    assert parse_bound("start", "2019-01-01 06:00", PARIS, is_end=False) == 1546318800  # 05:00 UTC


@pytest.mark.parametrize("text", ["20190101", "2019-W01-1", "2019-001", "2019-01-01T0600"])
def test_other_iso_8601_forms_are_refused_with_the_accepted_ones_named(text):
    with pytest.raises(BadParameter) as refused:
        parse_bound("start", text, PARIS, is_end=False)
    message = str(refused.value)
    assert "YYYY-MM-DD, optionally followed by T (or a space) and hh:mm or hh:mm:ss" in message
    assert "Z or ±hh:mm" in message
    assert "not an ISO 8601" not in message


def test_a_plus_sent_as_a_space_is_read_as_plus():
    spaced = parse_bound("start", "2025-01-01T06:00:00 01:00", PARIS, is_end=False)
    assert spaced == parse_bound("start", "2025-01-01T06:00:00+01:00", PARIS, is_end=False)
    assert spaced == int(dt.datetime(2025, 1, 1, 5, tzinfo=dt.UTC).timestamp())


def test_naive_bounds_are_read_on_the_clock_of_the_zone():
    utc = clock("UTC")
    assert parse_bound("start", "2025-01-01T06:00", utc, is_end=False) == 1735711200
    assert parse_bound("start", "2025-01-01T06:00", PARIS, is_end=False) == 1735711200 - 3600
    assert PARIS.isoformat(parse_bound("end", "2025-03-30", PARIS, is_end=True)) == "2025-03-30T23:30:00+02:00"
    kathmandu = clock("Asia/Kathmandu")  # +05:45: the day's last half hour starts at 23:45
    assert kathmandu.isoformat(parse_bound("end", "2025-01-01", kathmandu, is_end=True)) == "2025-01-01T23:45:00+05:45"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv", "csv"),
        ("TEXT/CSV", "csv"),
        ("Text/Csv; q=1, application/json; q=0.5", "csv"),
        ("APPLICATION/JSON, text/csv;q=0.1", "json"),
        ("*/*", "json"),
        ("", "json"),
    ],
)
def test_accept_is_matched_case_insensitively(accept, expected):
    assert preferred_format(accept) == expected
