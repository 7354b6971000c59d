"""The reader: which lines become which points, and which lines are refused."""

import datetime as dt
import io
import time
from types import SimpleNamespace

import pytest

from consumption.cli import build_parser
from consumption.domain import Nature, clock
from consumption.domain.clock import PARIS
from consumption.eco2mix.parser import DEFAULT_LIMITS, MEGABYTE, Eco2mixError, FileContents, ReadLimits, parse_eco2mix
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


def as_bytes(text: str, encoding: str = "cp1252") -> io.BytesIO:
    """A file's bytes in memory, encoded as RTE does."""
    return io.BytesIO(text.encode(encoding))


def parse(text: str, name: str = "test.xls") -> dict[int, int]:
    return {p.timestamp: p.consumption_mw for p in parse_eco2mix(as_bytes(text), name)}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC).timestamp())


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
    points = list(parse_eco2mix(as_bytes(eco2mix_text(lines)), "tr.xls", summary))
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
    natures = {p.nature for p in parse_eco2mix(as_bytes(text), "f.xls")}
    assert natures == {expected}


def refused(text: str, name: str = "bad.xls") -> Eco2mixError:
    with pytest.raises(Eco2mixError) as caught:
        list(parse_eco2mix(as_bytes(text), name))
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
    assert list(parse_eco2mix(as_bytes(eco2mix_text([])), "empty.xls", summary)) == []
    assert summary.data_lines == 0


def refused_bytes(data: bytes, limits: ReadLimits = DEFAULT_LIMITS, name: str = "bad.xls") -> Eco2mixError:
    with pytest.raises(Eco2mixError) as caught:
        list(parse_eco2mix(io.BytesIO(data), name, limits=limits))
    assert name in str(caught.value)
    return caught.value


def line_of(value: str, date: str = "2025-01-01") -> str:
    return f"France\tDonnées temps réel\t{date}\t00:30\t{value}\t"


@pytest.mark.parametrize(
    "value",
    [
        "٥١٠٠٠",  # Arabic-Indic digits: Python's int() reads them as 51000
        "51_000",
        "+51000",
        " 51000",
        "51000 ",
        "-51000",
    ],
)
def test_a_consumption_that_is_not_plain_ascii_digits_is_refused(value):
    # UTF-8, as a file that starts with a byte order mark is read, so that any digit can be written.
    data = with_line(4, line_of(value))
    error = refused_bytes(b"\xef\xbb\xbf" + data.encode("utf-8"))
    assert error.line == 4
    assert "not an integer number of MW" in str(error)
    assert repr(value) in str(error)


@pytest.mark.parametrize("value", ["0", "200001", str(2**62), "9" * 25, "9" * 4000])
def test_a_consumption_outside_1_to_200000_mw_is_refused(value):
    error = refused_bytes(with_line(4, line_of(value)).encode("cp1252"))
    assert error.line == 4
    assert "outside 1 to 200,000 MW" in str(error)
    assert len(str(error)) < 200  # a long value is quoted shortened


@pytest.mark.parametrize("value", [1, 200_000])
def test_the_bounds_of_the_plausible_range_are_accepted(value):
    points = parse(with_line(4, line_of(str(value))))
    assert points[utc(2024, 12, 31, 23, 30)] == value


@pytest.mark.parametrize("date", ["1999-12-31", "1900-01-01", "0001-01-01", f"{dt.date.today().year + 2}-01-01"])
def test_dates_outside_2000_to_next_year_are_refused(date):
    lines = eco2mix_lines([dt.date(2025, 1, 1)])
    lines[2] = line_of("51000", date)
    error = refused_bytes(eco2mix_text(lines).encode("cp1252"))
    assert error.line == 4
    assert f"date {date!r} is outside the years 2000 to {dt.date.today().year + 1}" in str(error)


def test_next_years_dates_are_accepted():
    day = dt.date(dt.date.today().year + 1, 6, 1)
    assert parse(eco2mix_text(eco2mix_lines([day]))) == expected_points([day])


def test_dates_with_other_digits_than_ascii_are_refused():
    lines = eco2mix_lines([dt.date(2025, 1, 1)])
    lines[2] = line_of("51000", "٢٠٢٥-01-01")
    error = refused_bytes(b"\xef\xbb\xbf" + eco2mix_text(lines).encode("utf-8"))
    assert "invalid date" in str(error)
    assert error.line == 4


def test_a_file_past_max_bytes_is_refused_naming_it():
    text = eco2mix_text(eco2mix_lines(days(dt.date(2025, 1, 1), dt.date(2025, 1, 31)))).encode("cp1252")
    limits = ReadLimits(max_bytes=len(text) - 1)
    error = refused_bytes(text, limits)
    assert f"more than {limits.max_bytes / MEGABYTE:g} MB of text once decompressed" in str(error)
    assert "FILE_MAX_MB" in str(error)
    assert list(parse_eco2mix(io.BytesIO(text), "ok.xls", limits=ReadLimits(max_bytes=len(text))))


def test_a_line_longer_than_the_limit_is_refused_naming_it():
    lines = eco2mix_lines([dt.date(2025, 1, 1)])
    lines[40] += "x" * 5000
    error = refused_bytes(eco2mix_text(lines).encode("cp1252"))
    assert error.line == 42
    assert "a line longer than 4,096 bytes" in str(error)


def test_a_file_without_any_line_end_is_refused_at_its_first_line():
    error = refused_bytes(b"Perimetre" + b"\t" * 10_000_000)
    assert error.line == 1
    assert "a line longer than 4,096 bytes" in str(error)


def test_a_file_of_millions_of_blank_lines_is_refused_past_max_lines():
    header = eco2mix_text([], disclaimer=False).encode("cp1252")
    error = refused_bytes(header + b"\r\n" * 5_000_000)
    assert error.line == DEFAULT_LIMITS.max_lines + 1
    assert f"more than {DEFAULT_LIMITS.max_lines:,} lines" in str(error)


def test_a_year_of_quarter_hours_is_well_within_the_line_limit():
    year = days(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    points = parse(eco2mix_text(eco2mix_lines(year, half_hours_only=True, nature="definitive")))
    assert len(points) == 366 * 48 - 2  # the spring-forward gap


class FailingStream(io.BytesIO):
    """Bytes whose reading fails after the first `good` bytes, as a damaged archive's decompressor does."""

    def __init__(self, data: bytes, good: int, failure: BaseException) -> None:
        super().__init__(data)
        self.good = good
        self.failure = failure

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.good:
            raise self.failure
        return super().read(min(size or self.good, self.good - self.tell()))


@pytest.mark.parametrize("failure", [MemoryError(), EOFError("Compressed file ended"), OSError(5, "I/O error")])
def test_a_stream_that_fails_while_read_is_that_files_error(failure):
    text = eco2mix_text(eco2mix_lines([dt.date(2025, 1, 1)])).encode("cp1252")
    good = text.index(b"\r\n", 3000) + 2  # a few whole lines
    with pytest.raises(Eco2mixError) as caught:
        list(parse_eco2mix(FailingStream(text, good, failure), "tr.zip!tr.xls"))
    message = str(caught.value)
    whole_lines = text[:good].count(b"\n")
    assert message.startswith(f"tr.zip!tr.xls: cannot be read after line {whole_lines}: ")
    assert message.endswith(f": {type(failure).__name__}" + (f": {failure}" if str(failure) else ""))
    assert "\n" not in message


def test_today_is_pariss_today_on_a_host_that_runs_on_utc(monkeypatch):
    """At 00:30 on 1 January in Paris a host on UTC is still on 31 December: next year, for
    the dates a file may hold and for `fetch`'s last year, is Paris's."""
    instant = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC).timestamp()
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(clock, "time", SimpleNamespace(time=lambda: instant))
    try:
        assert dt.date.fromtimestamp(instant) == dt.date(2026, 12, 31)
        assert PARIS.today() == dt.date(2027, 1, 1)
        next_year = [dt.date(2028, 6, 1)]
        assert parse(eco2mix_text(eco2mix_lines(next_year))) == expected_points(next_year)
        assert build_parser().parse_args(["fetch"]).to_year == 2027
    finally:
        monkeypatch.undo()
        time.tzset()
