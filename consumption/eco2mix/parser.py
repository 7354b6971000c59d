"""Reading RTE's éCO2mix files: tab-separated text, one line per quarter hour.

`parse_eco2mix` streams a file's lines and yields France's consumption at :00 and
:30 as UTC consumption points, validating every data line on the way. The traps
it knows are described in RTE's samples README: columns found by header name,
both date formats, a disclaimer as last line, empty / `ND` / `-` values, the
lines of the spring-forward gap, and forecast-only lines at the end of recent files.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from consumption.domain.model import ConsumptionPoint, Nature
from consumption.domain.paris_time import utc_midnight, wall_clock_to_utc

NATIONAL_PERIMETER = "France"
MISSING_VALUES = frozenset({"", "ND", "-"})
DISCLAIMER_START = "RTE ne pourra"

# Normalised header name -> the column's role. Older files say "Heure" for "Heures".
_COLUMNS = {
    "perimetre": "perimeter",
    "nature": "nature",
    "date": "date",
    "heures": "time",
    "heure": "time",
    "consommation": "consumption",
}
_REQUIRED = ("perimeter", "nature", "date", "time", "consumption")

# "HH:MM" -> minutes after midnight, for every valid time of day.
_TIMES = {f"{h:02d}:{m:02d}": h * 60 + m for h in range(24) for m in range(60)}


class Eco2mixError(ValueError):
    """A file that cannot be imported; the message names the file and, if known, the line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.problem = message
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


def normalise_header(name: str) -> str:
    """`' Périmètre '` -> `'perimetre'`: lower case ASCII letters and digits only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum())


def parse_nature(text: str) -> Nature | None:
    """`Données temps réel` / `Données consolidées` / `Données définitives` -> Nature."""
    key = normalise_header(text)
    if "definitiv" in key:
        return Nature.DEFINITIVE
    if "consolid" in key:
        return Nature.CONSOLIDATED
    if "tempsreel" in key:
        return Nature.REAL_TIME
    return None


def parse_date(text: str) -> dt.date | None:
    """`YYYY-MM-DD` (RTE's files) or `DD/MM/YYYY` (RTE's specification); None if invalid."""
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            return dt.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
        if len(text) == 10 and text[2] == "/" and text[5] == "/":
            return dt.date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    except ValueError:
        return None
    return None


@dataclass
class FileContents:
    """What one file held, filled in while it is parsed."""

    source: str
    perimeter: str | None = None
    natures: set[Nature] = field(default_factory=set)
    data_lines: int = 0
    half_hours: int = 0
    first: int | None = None  # UTC seconds of the first and last half hours yielded
    last: int | None = None


def _column_indexes(header: list[str], source: str) -> dict[str, int]:
    indexes: dict[str, int] = {}
    for index, name in enumerate(header):
        role = _COLUMNS.get(normalise_header(name))
        if role is not None and role not in indexes:
            indexes[role] = index
    missing = [role for role in _REQUIRED if role not in indexes]
    if missing:
        wanted = ", ".join(missing)
        raise Eco2mixError(
            source,
            f"not an éCO2mix file: the header (line 1) has no column for {wanted}; "
            "expected tab-separated columns Périmètre, Nature, Date, Heures, Consommation",
            line=1,
        )
    return indexes


def _split(line: str) -> list[str]:
    return line.rstrip("\r\n").split("\t")


def parse_eco2mix(
    lines: Iterable[str], source: str, contents: FileContents | None = None
) -> Iterator[ConsumptionPoint]:
    """Yield France's consumption at :00 and :30 from an éCO2mix file's text lines.

    Raises Eco2mixError, naming `source` and the line, for a foreign perimeter or
    a malformed line. `contents`, when given, is filled in as lines are read.
    """
    if contents is None:
        contents = FileContents(source)
    numbered = enumerate(lines, start=1)
    first_line = next(numbered, None)
    if first_line is None:
        raise Eco2mixError(source, "the file is empty; expected an éCO2mix header line")
    columns = _column_indexes(_split(first_line[1]), source)
    i_perimeter, i_nature, i_date = columns["perimeter"], columns["nature"], columns["date"]
    i_time, i_consumption = columns["time"], columns["consumption"]
    width = max(columns.values()) + 1

    natures: dict[str, Nature] = {}
    # date text -> (day, its first minute key, UTC seconds of its midnight when the
    # offset holds all day long, else None: the two days a year the clock changes)
    days: dict[str, tuple[dt.date, int, int | None]] = {}
    seen: set[int] = set()
    data_lines = half_hours = 0
    first = last = None

    try:
        for line, text in numbered:
            # Only the first `width` fields are needed: splitting no further than
            # them saves creating the 30-odd strings of the production columns.
            row = text.rstrip("\r\n").split("\t", width)
            if len(row) < width:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if row[0].startswith(DISCLAIMER_START):
                    continue
                raise Eco2mixError(
                    source,
                    f"{len(row)} fields where at least {width} were expected",
                    line,
                )

            if row[i_perimeter] != NATIONAL_PERIMETER:
                perimeter = row[i_perimeter].strip()
                if perimeter != NATIONAL_PERIMETER:
                    raise Eco2mixError(
                        source,
                        f"perimeter {perimeter!r} is not {NATIONAL_PERIMETER!r}: only national files are imported",
                        line,
                    )

            nature = natures.get(row[i_nature])
            if nature is None:
                nature = _read_nature(row[i_nature], source, line)
                natures[row[i_nature]] = nature

            day_key = days.get(row[i_date])
            if day_key is None:
                day_key = _read_day(row[i_date], source, line)
                days[row[i_date]] = day_key
            day, day_start, utc_midnight = day_key

            minutes = _TIMES.get(row[i_time])
            if minutes is None:
                minutes = _read_time(row[i_time], source, line)

            key = day_start + minutes
            if key in seen:
                raise Eco2mixError(
                    source,
                    f"{row[i_date]} {row[i_time]} appears twice in the file",
                    line,
                )
            seen.add(key)
            data_lines += 1

            value_text = row[i_consumption]
            if value_text in MISSING_VALUES:
                continue
            try:
                consumption_mw = int(value_text)
            except ValueError:
                if value_text.strip() in MISSING_VALUES:
                    continue
                raise Eco2mixError(
                    source,
                    f"consumption {value_text!r} is not an integer number of MW",
                    line,
                ) from None

            if minutes % 30:
                continue
            if utc_midnight is not None:
                timestamp = utc_midnight + minutes * 60
            else:
                instant = wall_clock_to_utc(day, minutes)
                if instant is None:  # the spring-forward gap: these lines repeat others
                    continue
                timestamp = instant
            half_hours += 1
            if first is None or timestamp < first:
                first = timestamp
            if last is None or timestamp > last:
                last = timestamp
            yield ConsumptionPoint(timestamp, consumption_mw, nature)
    finally:
        contents.data_lines += data_lines
        contents.half_hours += half_hours
        contents.natures.update(natures.values())
        if data_lines:
            contents.perimeter = NATIONAL_PERIMETER
        if first is not None:
            contents.first = first if contents.first is None else min(first, contents.first)
        if last is not None:
            contents.last = last if contents.last is None else max(last, contents.last)


def _read_nature(text: str, source: str, line: int) -> Nature:
    nature = parse_nature(text)
    if nature is None:
        raise Eco2mixError(
            source,
            f"unknown nature {text!r}; expected Données temps réel, Données consolidées or Données définitives",
            line,
        )
    return nature


def _read_day(text: str, source: str, line: int) -> tuple[dt.date, int, int | None]:
    day = parse_date(text.strip())
    if day is None:
        raise Eco2mixError(source, f"invalid date {text!r}; expected YYYY-MM-DD or DD/MM/YYYY", line)
    return day, day.toordinal() * 1440, utc_midnight(day)


def _read_time(text: str, source: str, line: int) -> int:
    minutes = _TIMES.get(text.strip())
    if minutes is None:
        raise Eco2mixError(source, f"invalid time {text!r}; expected HH:MM", line)
    return minutes
