"""Every layout a user may hold, recognised by its header and read value by value.

RTE's own files are covered by test_parser.py; here: RTE's layout re-saved with
commas, ODRÉ's CSV export (labels or field names) and ODRÉ's JSON export, each
with its traps, and hostile variants of the new readers refused cheaply.
"""

import csv
import datetime as dt
import io
import json

import pytest

from consumption.domain import Nature
from consumption.eco2mix.parser import DEFAULT_LIMITS, Eco2mixError, FileContents, ReadLimits, parse_eco2mix
from tests.eco2mix_files import (
    ODRE_OLD_FIELDS,
    days,
    eco2mix_lines,
    eco2mix_text,
    expected_points,
    in_runs,
    odre_csv,
    odre_expected,
    odre_json,
    odre_rows,
    resaved,
)

JANUARY = days(dt.date(2024, 1, 1), dt.date(2024, 1, 3))
SPRING = days(dt.date(2024, 3, 30), dt.date(2024, 4, 1))  # 2024-03-31: 23 hours
AUTUMN = days(dt.date(2024, 10, 26), dt.date(2024, 10, 28))  # 2024-10-27: 25 hours
SPRING_DAY = [dt.date(2024, 3, 31)]
AUTUMN_DAY = [dt.date(2024, 10, 27)]


def read(data: bytes, name: str = "export.csv", limits: ReadLimits = DEFAULT_LIMITS) -> dict[int, int]:
    return {p.timestamp: p.consumption_mw for p in parse_eco2mix(io.BytesIO(data), name, limits=limits)}


def refused(data: bytes, name: str = "export.csv", limits: ReadLimits = DEFAULT_LIMITS) -> Eco2mixError:
    with pytest.raises(Eco2mixError) as caught:
        list(parse_eco2mix(io.BytesIO(data), name, limits=limits))
    return caught.value


# RTE's layout re-saved with commas, accents stripped, in UTF-8.


def test_a_resaved_copy_of_rtes_layout_gives_the_same_points():
    lines = eco2mix_lines(SPRING + AUTUMN, nature="definitive", half_hours_only=True)
    assert read(resaved(eco2mix_text(lines))) == expected_points(SPRING + AUTUMN)


def test_a_resaved_copy_keeps_its_nature_and_perimeter():
    summary = FileContents("copy.csv")
    data = resaved(eco2mix_text(eco2mix_lines(JANUARY, nature="definitive")))
    list(parse_eco2mix(io.BytesIO(data), "copy.csv", summary))
    assert summary.natures == {Nature.DEFINITIVE}
    assert summary.perimeter == "France"


def test_a_copy_resaved_by_pandas_pads_the_disclaimer_and_writes_decimals():
    """pandas (or a spreadsheet) pads every row, the disclaimer too, to the header's width,
    and writes a column with empty cells as floats: 48075.0."""
    rows = list(csv.reader(io.StringIO(resaved(eco2mix_text(eco2mix_lines(JANUARY))).decode())))
    header = rows[0]
    at = header.index("Consommation")
    padded = [row + [""] * (len(header) - len(row)) for row in rows]
    for row in padded[1:]:
        row[at] = f"{row[at]}.0" if row[at].isdigit() else row[at]
    assert padded[-1][0].startswith("RTE ne pourra") and len(padded[-1]) == len(header)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(padded)
    assert read(out.getvalue().encode()) == expected_points(JANUARY)
    padded[1][at] = "48075.5"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(padded)
    assert "consumption '48075.5' is not an integer number of MW" in str(refused(out.getvalue().encode()))


# ODRÉ's CSV export.


@pytest.mark.parametrize("nature", ["consolidated", "definitive", "real-time"])
def test_an_odre_export_gives_its_half_hours_value_by_value(nature):
    rows = odre_rows(JANUARY, nature=nature)
    assert read(odre_csv(rows)) == odre_expected(rows)
    assert len(odre_expected(rows)) == 3 * 48


def test_the_spring_forward_day_has_46_half_hours_and_the_fall_back_day_50():
    spring, autumn = odre_rows(SPRING_DAY), odre_rows(AUTUMN_DAY)
    assert len(read(odre_csv(spring))) == 46
    points = read(odre_csv(autumn))
    assert points == odre_expected(autumn)
    assert len(points) == 50


def test_the_repeated_hour_is_told_apart_by_its_offset():
    points = read(odre_csv(odre_rows(AUTUMN_DAY)))
    summer = int(dt.datetime(2024, 10, 27, 0, 0, tzinfo=dt.UTC).timestamp())  # 02:00+02:00
    winter = int(dt.datetime(2024, 10, 27, 1, 0, tzinfo=dt.UTC).timestamp())  # 02:00+01:00
    assert summer in points and winter in points
    assert points[summer] != points[winter]


def test_rows_in_several_runs_give_the_same_points():
    rows = odre_rows(SPRING + AUTUMN)
    assert read(odre_csv(in_runs(rows, 4))) == odre_expected(rows)


def test_an_export_made_in_utc_gives_the_same_instants():
    paris, utc = odre_rows(AUTUMN, utc=True), odre_rows(AUTUMN)
    assert read(odre_csv(paris)) == read(odre_csv(utc)) == odre_expected(utc)


def test_the_corrected_consumption_column_is_not_the_consumption():
    # The older vintage puts `Consommation corrigée (MW)` first, and says `Date et Heure`.
    rows = odre_rows(JANUARY)
    data = odre_csv(rows, fields=ODRE_OLD_FIELDS, instant_label="Date et Heure")
    assert read(data) == odre_expected(rows)


@pytest.mark.parametrize("bom", [True, False])
def test_a_byte_order_mark_changes_nothing(bom):
    rows = odre_rows(JANUARY)
    assert read(odre_csv(rows, bom=bom)) == odre_expected(rows)


def test_the_export_with_field_names_reads_like_the_one_with_labels():
    rows = odre_rows(AUTUMN)
    assert read(odre_csv(rows, labels=False)) == odre_expected(rows)


def test_a_regional_odre_export_is_refused_naming_its_region():
    rows = odre_rows(JANUARY, perimeter="Bretagne")
    error = refused(odre_csv(rows))
    assert "perimeter 'Bretagne' is not 'France'" in str(error)
    assert error.line == 2


def test_a_multi_year_file_past_the_old_200000_line_cap_imports():
    # 2012 to 2025: about 490,000 lines in RTE's layout, as a user's long export holds.
    years = days(dt.date(2012, 1, 1), dt.date(2025, 12, 31))
    columns = ["Périmètre", "Nature", "Date", "Heures", "Consommation"]
    text = eco2mix_text(
        eco2mix_lines(years, nature="definitive", half_hours_only=True, columns=columns), columns=columns
    )
    assert text.count("\n") > 400_000
    assert read(text.encode("cp1252"), "long.xls") == expected_points(years)


def test_the_line_cap_holds_every_year_from_2000_to_next_year_at_quarter_hours():
    years = dt.date.today().year + 2 - 2000
    assert DEFAULT_LIMITS.max_lines >= years * 366 * 100 + 2


# ODRÉ's JSON export.


def test_a_json_export_gives_the_same_points_as_the_csv_one():
    rows = odre_rows(SPRING + AUTUMN, nature="real-time")
    assert read(odre_json(in_runs(rows)), "export.json") == odre_expected(rows)


def test_json_numbers_as_strings_and_nulls_are_read():
    rows = odre_rows(JANUARY)
    data = odre_json(rows, string_numbers=True)
    assert b'"consommation": null' in data and b'"consommation": "' in data
    assert read(data, "export.json") == odre_expected(rows)


def test_a_json_file_is_recognised_whatever_its_name():
    rows = odre_rows(JANUARY)
    assert read(odre_json(rows), "export.xls") == odre_expected(rows)


def test_a_regional_json_export_is_refused_naming_its_region_and_record():
    records = [
        {
            "libelle_region": "Bretagne",
            "nature": "Données consolidées",
            "date_heure": "2024-01-01T00:00:00+01:00",
            "consommation": 3000,
        }
    ]
    error = refused(json.dumps(records).encode(), "regional.json")
    assert (
        str(error) == "regional.json, record 1: perimeter 'Bretagne' is not 'France': only national files are imported"
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"results": []}', "record 1: not an array of records"),
        (b"[1, 2]", "record 1: number where a record (an object) was expected"),
        (b'[{"perimetre": {"a": 1}}]', "record 1: a nested object or array in a record"),
        (
            b'[{"perimetre": "France", "nature": "Donnees definitives", "date_heure": "2024-01-01T00:00:00+01:00", '
            b'"consommation": "5\\t2"}]',
            "record 1: consumption '5 2' is not an integer number of MW",
        ),
        (b"[] [{}]", "invalid JSON"),
        (b'[{"perimetre": "France"', "invalid JSON"),
    ],
)
def test_json_that_is_not_an_array_of_flat_records_is_refused(data, problem):
    error = refused(data, "bad.json")
    assert problem in str(error)
    assert str(error).startswith("bad.json")


def test_deep_json_nesting_is_refused_at_the_first_record():
    error = refused(b"[" + b'{"a":[' * 1_000_000, "deep.json")
    assert "record 1: a nested object or array" in str(error)


@pytest.mark.parametrize("token", [b'"' + b"x" * 10_000_000 + b'"', b"9" * 10_000_000, b"[" * 10_000_000])
def test_a_huge_json_token_is_refused_before_it_is_parsed(token):
    error = refused(b'[{"consommation": ' + token + b"}]", "huge.json")
    assert "bytes without a quote" in str(error)


def test_a_json_file_past_max_bytes_is_refused():
    rows = odre_rows(JANUARY)
    data = odre_json(rows)
    error = refused(data, "big.json", ReadLimits(max_bytes=len(data) // 2))
    assert "more than" in str(error) and "MB of text" in str(error)


def test_a_json_file_past_max_lines_records_is_refused_naming_the_record():
    rows = odre_rows(JANUARY)
    error = refused(odre_json(rows), "many.json", ReadLimits(max_lines=100))
    assert error.line == 101
    assert "record 101: more than 100 records" in str(error)


# Hostile CSV in ODRÉ's layout: the same limits as RTE's.


def test_an_odre_line_longer_than_the_limit_is_refused():
    data = odre_csv(odre_rows(JANUARY)) + b"France;" + b"9" * 10_000 + b"\n"
    error = refused(data)
    assert "a line longer than 4,096 bytes" in str(error)


@pytest.mark.parametrize(
    ("instant", "problem"),
    [
        ("2024-01-01 00:00:00+01:00", "invalid date and time"),
        ("2024-01-01T00:00:00+01:00:00", "invalid date and time"),
        ("2024-01-01T00:00:00Z", "invalid date and time"),
        ("1990-01-01T00:00:00+01:00", "outside the years"),
        ("", "invalid date and time"),
    ],
)
def test_an_odre_instant_that_cannot_be_read_is_refused_naming_the_line(instant, problem):
    rows = odre_rows(JANUARY)
    rows[5]["date_heure"] = instant
    error = refused(odre_csv(rows))
    assert problem in str(error)
    assert error.line == 7


def test_an_odre_instant_given_twice_is_refused():
    rows = odre_rows(JANUARY)
    rows.append(dict(rows[0]))
    error = refused(odre_csv(rows))
    assert "2024-01-01T00:00:00+01:00 appears twice" in str(error)
