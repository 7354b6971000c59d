"""Reading éCO2mix files, whatever their layout: one line (or JSON record) per quarter hour.

`parse_eco2mix` streams a file's bytes and yields France's consumption at :00 and
:30 as UTC consumption points, validating every data line on the way. One reader
serves every layout, told apart by the header: the columns are found by exact,
normalised name (`_COLUMNS`), with the delimiter that finds them.

- RTE's own files: tab-separated, Windows-1252, `Périmètre, Nature, Date, Heures,
  Consommation`; and the same re-saved with commas and without accents, in UTF-8;
- ODRÉ's CSV export: `;`, UTF-8, labels (`Consommation (MW)`) or field names
  (`consommation`); its `Date - Heure` carries the offset and is the truth;
- ODRÉ's JSON export, turned into lines of its field names by `odre_json`.

The traps it knows are described in RTE's samples README: both date formats, a
disclaimer as last line, empty / `ND` / `-` values, the lines of the spring-forward
gap, forecast-only lines at the end of recent files; and ODRÉ's: rows in several
sorted runs, the fall-back hour twice, told apart by its offsets.

What it accepts, so that a hostile or broken file is refused rather than stored:
consumption is ASCII digits only, from 1 to 200,000 MW (France's all-time peak is
about 102,000 MW); dates are in the years 2000 through next year; a file is at
most `ReadLimits.max_bytes` of text, `max_line_bytes` a line and `max_lines` lines.
A JSON file is held to the same limits, a record counting as a line, and a run of
bytes without a quote (its longest token) as a line's length.

Lines are read as bytes, in large blocks, and split only up to the last column
needed: the 35 production columns of RTE's current layout are never looked at,
nor decoded.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from consumption.domain.clock import PARIS
from consumption.domain.model import ConsumptionPoint, Nature
from consumption.eco2mix.odre_json import JsonShapeError, json_lines, starts_as_json

NATIONAL_PERIMETER = "France"
MISSING_VALUES = frozenset({"", "ND", "-"})
DISCLAIMER_START = "RTE ne pourra"
ENCODING = "cp1252"  # RTE's files; UTF-8 when the header reads as UTF-8 (ODRÉ's, re-saved copies)
FIRST_YEAR = 2000  # RTE publishes éCO2mix data from 2012; nothing before 2000 can be right
MIN_CONSUMPTION_MW = 1
MAX_CONSUMPTION_MW = 200_000  # about twice France's all-time peak
MEGABYTE = 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
_BLOCK_BYTES = 256 * 1024
_QUOTED_MAX = 40  # characters of a bad value quoted in a message
_DELIMITERS = ("\t", ";", ",")
_EPOCH_MINUTES = dt.date(1970, 1, 1).toordinal() * 1440

# Normalised header name -> the column's role, in every layout: RTE's (older files say
# "Heure"), ODRÉ's labels and field names. Exact: `Consommation corrigée (MW)` is none.
_COLUMNS = {
    name: role
    for role, names in {
        "perimeter": ("perimetre", "region", "libelleregion"),  # ODRÉ's regional exports: refused by name
        "nature": ("nature",),
        "date": ("date",),
        "time": ("heures", "heure"),
        "instant": ("dateheure", "dateetheure"),
        "consumption": ("consommation", "consommationmw"),
    }.items()
    for name in names
}
_REQUIRED = ("perimeter", "nature", "date", "time", "consumption")  # "instant" may stand for date and time

# b"HH:MM" -> minutes after midnight, for every valid time of day.
_TIMES = {f"{h:02d}:{m:02d}".encode(): h * 60 + m for h in range(24) for m in range(60)}
# b"+01:00" -> minutes ahead of UTC, for every offset a clock may show.
_OFFSETS = {
    f"{sign}{h:02d}:{m:02d}".encode(): int(f"{sign}{h * 60 + m}")
    for sign in "+-"
    for h in range(15)
    for m in (0, 30, 45)
}


class Eco2mixError(ValueError):
    """A file that cannot be imported; the message names the file and, if known, the line or record."""

    def __init__(self, source: str, message: str, line: int | None = None, unit: str = "line") -> None:
        self.source = source
        self.line = line  # the record's number in a JSON file
        self.problem = message
        where = f"{source}, {unit} {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ReadLimits:
    """What reading one file may cost; past any limit the file is refused.

    `max_bytes` is the text once decompressed (the FILE_MAX_MB setting, 256 MB by
    default: an annual national file is about 10 MB). RTE's and ODRÉ's lines are
    under 600 bytes: `max_line_bytes` leaves room for any layout they may publish
    while keeping a hostile file cheap to refuse.
    """

    max_bytes: int = 256 * MEGABYTE
    max_line_bytes: int = 4096
    # Room for every year from 2000 to next year at quarter-hour resolution, in one file:
    # (next year + 1 - 2000) years × 366 days × 100 lines (ODRÉ writes 100 quarter hours
    # on a fall-back day, RTE 96) + a header and a disclaimer: 1,024,802 lines in 2026.
    max_lines: int = (dt.date.today().year + 2 - FIRST_YEAR) * 366 * 100 + 2

    @classmethod
    def from_megabytes(cls, megabytes: int) -> ReadLimits:
        return cls(max_bytes=megabytes * MEGABYTE)


DEFAULT_LIMITS = ReadLimits()


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
    if not (len(text) == 10 and text.isascii()):
        return None
    if text[4] == "-" and text[7] == "-":
        year, month, day = text[0:4], text[5:7], text[8:10]
    elif text[2] == "/" and text[5] == "/":
        year, month, day = text[6:10], text[3:5], text[0:2]
    else:
        return None
    if not (year.isdigit() and month.isdigit() and day.isdigit()):
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_eco2mix(
    stream: IO[bytes],
    source: str,
    contents: FileContents | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[ConsumptionPoint]:
    """Yield France's consumption at :00 and :30 from an éCO2mix file's bytes, in any layout.

    Raises Eco2mixError, naming `source` and the line, for a foreign perimeter, a
    malformed line, a value out of range, a file past `limits`, or bytes that
    cannot be read. `contents`, when given, is filled in as lines are read.
    """
    head = _read_block(stream, source, 1)
    if starts_as_json(head):
        unit, blocks = "record", _json_blocks(_BoundedJson(head, stream, source, limits), source, limits)
    else:
        unit, blocks = "line", _line_blocks(head, stream, source, limits)
    first = next(blocks, None)
    if first is None:
        raise Eco2mixError(source, "the file is empty; expected an éCO2mix header line")
    first_line, lines = first
    columns, encoding, delimiter = _read_header(lines[0], source)
    reader = _LineReader(source, unit, encoding, delimiter, columns)
    try:
        yield from reader.points(itertools.chain([(first_line + 1, lines[1:])], blocks))
    finally:
        reader.summarise(contents if contents is not None else FileContents(source))


# A block of lines: the number of its first line in the file, and the lines, without their ends.
_Block = tuple[int, list[bytes]]


def _line_blocks(head: bytes, stream: IO[bytes], source: str, limits: ReadLimits) -> Iterator[_Block]:
    """The lines of `head` and the stream after it, a block at a time, refusing the file past any of `limits`."""
    carried = b""  # the start of a line whose end is in the next block
    size = 0
    next_line = 1
    block = head
    while True:
        size += len(block)
        if size > limits.max_bytes:
            raise too_large(source, limits)
        text, carried = _cut_after_last_line_end(carried + block, not block, limits)
        lines = text.splitlines()
        _check_lines(lines, next_line, source, limits)
        if lines:
            yield next_line, lines
        next_line += len(lines)
        if not block:
            return
        block = _read_block(stream, source, next_line)


def _cut_after_last_line_end(text: bytes, at_end: bool, limits: ReadLimits) -> tuple[bytes, bytes]:
    """`text` cut after its last line end: its whole lines, and the start of a line to carry over.

    Nothing is carried at the end of the stream, nor when it would already be too
    long for a line: `_check_lines` then refuses that line without reading on.
    """
    if at_end:
        return text, b""
    cut = text.rfind(b"\n") + 1
    if len(text) - cut > limits.max_line_bytes:
        return text, b""
    return text[:cut], text[cut:]


def _check_lines(lines: list[bytes], first_line: int, source: str, limits: ReadLimits, unit: str = "line") -> None:
    if first_line + len(lines) - 1 > limits.max_lines:
        raise Eco2mixError(source, f"more than {limits.max_lines:,} {unit}s; refused", limits.max_lines + 1, unit)
    if lines and max(map(len, lines)) > limits.max_line_bytes:
        longest = next(i for i, line in enumerate(lines) if len(line) > limits.max_line_bytes)
        problem = f"a {unit} longer than {limits.max_line_bytes:,} bytes; refused"
        raise Eco2mixError(source, problem, first_line + longest, unit)


def _read_block(stream: IO[bytes], source: str, next_line: int) -> bytes:
    try:
        return stream.read(_BLOCK_BYTES)
    # Decompressing a hostile or damaged archive raises whatever its codec raises
    # (zlib.error, EOFError, BadZipFile, lzma.LZMAError, OSError, MemoryError, ...):
    # all of them mean that this file cannot be read.
    except Exception as error:
        where = f" after line {next_line - 1}" if next_line > 1 else ""
        raise Eco2mixError(source, f"cannot be read{where}: {describe(error)}") from error


def too_large(source: str, limits: ReadLimits) -> Eco2mixError:
    """The error for a file past `limits.max_bytes` of text."""
    megabytes = limits.max_bytes / MEGABYTE
    return Eco2mixError(source, f"more than {megabytes:g} MB of text once decompressed; refused (FILE_MAX_MB)")


def describe(error: BaseException) -> str:
    """A one-line reason from an exception raised by a library: its type, and its message."""
    message = " ".join(str(error).split())[:200]
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return f"{name}: {message}" if message else name


class _BoundedJson:
    """A JSON file's bytes for ijson, refused past `limits.max_bytes`, or past a run of
    `max_line_bytes` without a quote: what a huge string, number or nesting would need."""

    def __init__(self, head: bytes, stream: IO[bytes], source: str, limits: ReadLimits) -> None:
        self.pending, self.stream, self.source, self.limits = head.removeprefix(_UTF8_BOM), stream, source, limits
        self.size = 0
        self.unquoted = b""  # the bytes since the last quote

    def read(self, size: int = -1, /) -> bytes:
        if size == 0:  # ijson's probe of the type read returns
            return b""
        block, self.pending = self.pending or _read_block(self.stream, self.source, 1), b""
        self.size += len(block)
        if self.size > self.limits.max_bytes:
            raise too_large(self.source, self.limits)
        runs = (self.unquoted + block).split(b'"')
        longest, self.unquoted = max(map(len, runs)), runs[-1]
        if longest > self.limits.max_line_bytes:
            raise Eco2mixError(self.source, f"{longest:,} bytes without a quote, more than a record holds; refused")
        return block


def _json_blocks(stream: _BoundedJson, source: str, limits: ReadLimits) -> Iterator[_Block]:
    """ODRÉ's JSON records as lines, in blocks: the header as line 0, record n as line n."""
    block: list[bytes] = []
    number = 0
    try:
        # A blank line ends the records (none is blank): it sends the last block, and is skipped.
        for number, line in enumerate(itertools.chain(json_lines(stream), [b""])):
            block.append(line)
            if len(block) == 4096 or not line:
                _check_lines(block, number + 1 - len(block), source, limits, "record")
                yield number + 1 - len(block), block
                block = []
    except JsonShapeError as error:
        expected = 'expected ODRÉ\'s JSON export, [{"perimetre": …, "consommation": …}, …]'
        raise Eco2mixError(source, f"{error}; {expected}", number + 1, "record") from error


def _read_header(line: bytes, source: str) -> tuple[dict[str, int], str, bytes]:
    """The columns, the encoding and the delimiter that a header line announces."""
    try:
        header, encoding = line.removeprefix(_UTF8_BOM).decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        header, encoding = line.decode(ENCODING, errors="replace"), ENCODING
    delimiter = max(_DELIMITERS, key=header.count)  # no name in any layout holds another's delimiter
    indexes = _column_indexes(header.split(delimiter))
    given = set(indexes) | ({"date", "time"} if "instant" in indexes else set())  # an instant is both
    missing = [role for role in _REQUIRED if role not in given]
    if missing:
        raise Eco2mixError(
            source,
            f"not an éCO2mix file: the header (line 1) has no column for {', '.join(missing)}; expected "
            "RTE's tab-separated columns Périmètre, Nature, Date, Heures, Consommation, or ODRÉ's export",
            line=1,
        )
    return indexes, encoding, delimiter.encode()


def _column_indexes(names: list[str]) -> dict[str, int]:
    indexes: dict[str, int] = {}
    for index, name in enumerate(names):
        role = _COLUMNS.get(normalise_header(name))
        if role is not None and role not in indexes:
            indexes[role] = index
    return indexes


# What a date's text is read as: the day, its first minute key (for duplicates), and
# the UTC seconds of its midnight when one offset holds all day long, else None
# (the two days a year the clock changes).
_Day = tuple[dt.date, int, int | None]


class _LineReader:
    """Reads one file's data lines; the hot loop in `points`, the rare cases in helpers."""

    def __init__(self, source: str, unit: str, encoding: str, delimiter: bytes, columns: dict[str, int]) -> None:
        self.source = source
        self.unit = unit
        self.encoding = encoding
        self.delimiter = delimiter
        self.columns = columns
        self.perimeter = NATIONAL_PERIMETER.encode(encoding)
        self.disclaimer = DISCLAIMER_START.encode(encoding)
        self.latest_year = dt.date.today().year + 1
        # Caches of what each distinct text of a column was read as.
        self.natures: dict[bytes, Nature] = {}
        self.days: dict[bytes, _Day] = {}
        self.seen: set[int] = set()  # minute keys of the data lines read, to refuse duplicates
        self.half_hours = 0
        self.first: int | None = None
        self.last: int | None = None

    def points(self, blocks: Iterator[_Block]) -> Iterator[ConsumptionPoint]:
        """The points of every data line; counts what it read as it goes."""
        i_perimeter, i_nature, i_date, i_time, i_consumption = (self.columns.get(role, -1) for role in _REQUIRED)
        i_instant = self.columns.get("instant", -1)
        width = max(self.columns.values()) + 1  # split no further: see the module's docstring
        perimeter, natures, days, seen = self.perimeter, self.natures, self.days, self.seen
        times, delimiter = _TIMES, self.delimiter
        point = functools.partial(tuple.__new__, ConsumptionPoint)  # the named tuple, without its __new__'s frame
        half_hours, first, last = 0, self.first, self.last
        date = None  # the last line's date: a day's lines come together, so most lines skip its lookup
        try:
            for first_line, lines in blocks:
                for line, text in enumerate(lines, first_line):
                    row = text.split(delimiter, width)
                    if len(row) < width:
                        self.check_not_data(row, line, width)
                        continue
                    if row[i_perimeter] != perimeter and self.is_padded_disclaimer(row, i_perimeter, line):
                        continue
                    nature = natures.get(row[i_nature]) or self.read_nature(row[i_nature], line)
                    if i_instant < 0:
                        if row[i_date] != date:
                            date = row[i_date]
                            day, day_key, midnight = days.get(date) or self.read_day(date, line)
                        minutes = times.get(row[i_time])
                        if minutes is None:
                            minutes = self.read_time(row[i_time], line)
                        key = day_key + minutes
                    else:  # UTC minutes since 1970: the epoch is their midnight
                        key = minutes = self.read_instant(row[i_instant], line)
                        midnight = 0
                    if key in seen:
                        when = row[i_instant] if i_instant >= 0 else row[i_date] + b" " + row[i_time]
                        raise self.error(f"{self.text(when)} appears twice", line)
                    seen.add(key)

                    value = row[i_consumption]
                    if not (value.isdigit() and len(value) <= 6):
                        value = self.unusual_value(value, line) if value else value
                        if not value:
                            continue  # missing: empty (:15 and :45 in annual files), `ND` or `-`
                    consumption_mw = int(value)
                    if not MIN_CONSUMPTION_MW <= consumption_mw <= MAX_CONSUMPTION_MW:
                        raise self.out_of_range(value, line)
                    if minutes % 30:
                        continue
                    timestamp = (
                        midnight + minutes * 60 if midnight is not None else PARIS.wall_clock_to_utc(day, minutes)
                    )
                    if timestamp is None:  # the spring-forward gap: these lines repeat others
                        continue
                    half_hours += 1
                    if first is None or timestamp < first:
                        first = timestamp
                    if last is None or timestamp > last:
                        last = timestamp
                    yield point((timestamp, consumption_mw, nature))
        finally:  # counted in locals, which cost less than attributes in this loop
            self.half_hours += half_hours
            self.first, self.last = first, last

    def summarise(self, contents: FileContents) -> None:
        """Add what was read to `contents`, whether the file was read to its end or not."""
        contents.data_lines += len(self.seen)
        contents.half_hours += self.half_hours
        contents.natures.update(self.natures.values())
        if self.seen:
            contents.perimeter = NATIONAL_PERIMETER
        if self.first is not None:
            contents.first = self.first if contents.first is None else min(self.first, contents.first)
        if self.last is not None:
            contents.last = self.last if contents.last is None else max(self.last, contents.last)

    # The rare cases: each either reads a text seen for the first time or raises.

    def text(self, raw: bytes) -> str:
        """A field's text, decoded and shortened to be quoted in a message."""
        text = raw.decode(self.encoding, errors="replace")
        return text if len(text) <= _QUOTED_MAX else text[:_QUOTED_MAX] + "…"

    def error(self, message: str, line: int) -> Eco2mixError:
        return Eco2mixError(self.source, message, line, self.unit)

    def check_not_data(self, row: list[bytes], line: int, width: int) -> None:
        """A line too short for data must be blank or the disclaimer (quoted, in a re-saved copy)."""
        if (len(row) == 1 and not row[0].strip()) or row[0].lstrip(b'"').startswith(self.disclaimer):
            return
        raise self.error(f"{len(row)} fields where at least {width} were expected", line)

    def is_padded_disclaimer(self, row: list[bytes], i_perimeter: int, line: int) -> bool:
        """Whether a line of the data's width is the disclaimer, which a spreadsheet pads with
        empty cells when it re-saves the file; else its perimeter must be France's."""
        if row[0].lstrip(b'"').startswith(self.disclaimer):
            return True
        self.check_perimeter(row[i_perimeter], line)
        return False

    def check_perimeter(self, raw: bytes, line: int) -> None:
        if raw.strip() != self.perimeter:
            raise self.error(
                f"perimeter {self.text(raw.strip())!r} is not {NATIONAL_PERIMETER!r}: only national files are imported",
                line,
            )

    def read_nature(self, raw: bytes, line: int) -> Nature:
        nature = parse_nature(raw.decode(self.encoding, errors="replace"))
        if nature is None:
            raise self.error(
                f"unknown nature {self.text(raw)!r}; "
                "expected Données temps réel, Données consolidées or Données définitives",
                line,
            )
        self.natures[raw] = nature
        return nature

    def read_day(self, raw: bytes, line: int) -> _Day:
        day = parse_date(raw.strip().decode(self.encoding, errors="replace"))
        if day is None:
            raise self.error(f"invalid date {self.text(raw)!r}; expected YYYY-MM-DD or DD/MM/YYYY", line)
        if not FIRST_YEAR <= day.year <= self.latest_year:
            raise self.error(
                f"date {self.text(raw)!r} is outside the years {FIRST_YEAR} to {self.latest_year}",
                line,
            )
        self.days[raw] = entry = (day, day.toordinal() * 1440, PARIS.utc_midnight(day))
        return entry

    def read_instant(self, raw: bytes, line: int) -> int:
        """`2024-01-01T02:00:00+01:00` (ODRÉ's `Date - Heure`) -> UTC minutes since 1970."""
        minutes, offset = _TIMES.get(raw[11:16]), _OFFSETS.get(raw[19:])  # an offset found: 25 bytes
        if offset is None or minutes is None or raw[10] != ord("T") or raw[16:19] != b":00":
            raise self.error(f"invalid date and time {self.text(raw)!r}; expected YYYY-MM-DDTHH:MM:00+HH:MM", line)
        day_key = (self.days.get(raw[:10]) or self.read_day(raw[:10], line))[1]
        return day_key + minutes - offset - _EPOCH_MINUTES

    def read_time(self, raw: bytes, line: int) -> int:
        minutes = _TIMES.get(raw.strip())
        if minutes is None:
            raise self.error(f"invalid time {self.text(raw)!r}; expected HH:MM", line)
        return minutes

    def unusual_value(self, raw: bytes, line: int) -> bytes:
        """A value that is not a short run of ASCII digits: b"" when it is a missing one (`ND`,
        `-`), the digits of a whole number written as a decimal (`48075.0`, as a spreadsheet or
        pandas re-saves a column with empty cells), else an error."""
        if raw.strip().decode(self.encoding, errors="replace") in MISSING_VALUES:
            return b""
        whole, point, fraction = raw.strip().partition(b".")
        if point and whole.isdigit() and not fraction.strip(b"0") and len(whole) <= 6:
            return whole
        if raw.isdigit():  # more than six digits
            raise self.out_of_range(raw, line)
        raise self.error(f"consumption {self.text(raw)!r} is not an integer number of MW", line)

    def out_of_range(self, raw: bytes, line: int) -> Eco2mixError:
        return self.error(
            f"consumption {self.text(raw)!r} MW is outside {MIN_CONSUMPTION_MW} to {MAX_CONSUMPTION_MW:,} MW",
            line,
        )
