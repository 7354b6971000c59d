"""Reading RTE's éCO2mix files: tab-separated text, one line per quarter hour.

`parse_eco2mix` streams a file's lines and yields France's consumption at :00 and
:30 as UTC consumption points, validating every data line on the way. The traps
it knows are described in RTE's samples README: columns found by header name,
both date formats, a disclaimer as last line, empty / `ND` / `-` values, the
lines of the spring-forward gap, and forecast-only lines at the end of recent files.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from consumption.domain.model import ConsumptionPoint, Nature
from consumption.domain.paris_time import wall_clock_to_utc

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
class FileSummary:
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


def parse_eco2mix(
    lines: Iterable[str], source: str, summary: FileSummary | None = None
) -> Iterator[ConsumptionPoint]:
    """Yield France's consumption at :00 and :30 from an éCO2mix file's text lines.

    Raises Eco2mixError, naming `source` and the line, for a foreign perimeter or
    a malformed line. `summary`, when given, is filled in as lines are read.
    """
    if summary is None:
        summary = FileSummary(source)
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None:
        raise Eco2mixError(source, "the file is empty; expected an éCO2mix header line")
    columns = _column_indexes(header, source)
    i_perimeter, i_nature, i_date = columns["perimeter"], columns["nature"], columns["date"]
    i_time, i_consumption = columns["time"], columns["consumption"]
    width = max(columns.values()) + 1

    natures: dict[str, Nature] = {}
    days: dict[str, dt.date] = {}
    seen: set[int] = set()

    for row in reader:
        line = reader.line_num
        if len(row) < width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if row[0].startswith(DISCLAIMER_START):
                continue
            raise Eco2mixError(
                source, f"{len(row)} fields where at least {width} were expected", line
            )

        perimeter = row[i_perimeter].strip()
        if perimeter != NATIONAL_PERIMETER:
            raise Eco2mixError(
                source,
                f"perimeter {perimeter!r} is not {NATIONAL_PERIMETER!r}: "
                "only national files are imported",
                line,
            )

        nature_text = row[i_nature]
        nature = natures.get(nature_text)
        if nature is None:
            nature = parse_nature(nature_text)
            if nature is None:
                raise Eco2mixError(
                    source,
                    f"unknown nature {nature_text!r}; expected Données temps réel, "
                    "Données consolidées or Données définitives",
                    line,
                )
            natures[nature_text] = nature

        date_text = row[i_date]
        day = days.get(date_text)
        if day is None:
            day = parse_date(date_text.strip())
            if day is None:
                raise Eco2mixError(
                    source, f"invalid date {date_text!r}; expected YYYY-MM-DD or DD/MM/YYYY", line
                )
            days[date_text] = day

        time_text = row[i_time]
        minutes = _TIMES.get(time_text.strip())
        if minutes is None:
            raise Eco2mixError(source, f"invalid time {time_text!r}; expected HH:MM", line)

        key = day.toordinal() * 1440 + minutes
        if key in seen:
            raise Eco2mixError(
                source, f"{date_text} {time_text} appears twice in the file", line
            )
        seen.add(key)

        summary.data_lines += 1
        summary.perimeter = perimeter
        summary.natures.add(nature)

        value_text = row[i_consumption].strip()
        if value_text in MISSING_VALUES:
            continue
        try:
            consumption_mw = int(value_text)
        except ValueError:
            raise Eco2mixError(
                source, f"consumption {value_text!r} is not an integer number of MW", line
            ) from None

        if minutes % 30:
            continue
        timestamp = wall_clock_to_utc(day, minutes)
        if timestamp is None:  # the spring-forward gap: these lines repeat others
            continue
        summary.half_hours += 1
        if summary.first is None or timestamp < summary.first:
            summary.first = timestamp
        if summary.last is None or timestamp > summary.last:
            summary.last = timestamp
        yield ConsumptionPoint(timestamp, consumption_mw, nature)
