"""Reading RTE's éCO2mix files: tab-separated text, one line per quarter hour.

`parse_eco2mix` streams a file's bytes and yields France's consumption at :00 and
:30 as UTC consumption points, validating every data line on the way. The traps
it knows are described in RTE's samples README: columns found by header name,
both date formats, a disclaimer as last line, empty / `ND` / `-` values, the
lines of the spring-forward gap, and forecast-only lines at the end of recent files.

What it accepts, so that a hostile or broken file is refused rather than stored:
consumption is ASCII digits only, from 1 to 200,000 MW (France's all-time peak is
about 102,000 MW); dates are in the years 2000 through next year; a file is at
most `ReadLimits.max_bytes` of text, `max_line_bytes` a line and `max_lines` lines.

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

NATIONAL_PERIMETER = "France"
MISSING_VALUES = frozenset({"", "ND", "-"})
DISCLAIMER_START = "RTE ne pourra"
ENCODING = "cp1252"  # RTE's files; UTF-8 when they start with a byte order mark
FIRST_YEAR = 2000  # RTE publishes éCO2mix data from 2012; nothing before 2000 can be right
MIN_CONSUMPTION_MW = 1
MAX_CONSUMPTION_MW = 200_000  # about twice France's all-time peak
MEGABYTE = 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
_BLOCK_BYTES = 256 * 1024
_QUOTED_MAX = 40  # characters of a bad value quoted in a message

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

# b"HH:MM" -> minutes after midnight, for every valid time of day.
_TIMES = {f"{h:02d}:{m:02d}".encode(): h * 60 + m for h in range(24) for m in range(60)}


class Eco2mixError(ValueError):
    """A file that cannot be imported; the message names the file and, if known, the line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.problem = message
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ReadLimits:
    """What reading one file may cost; past any limit the file is refused.

    `max_bytes` is the text once decompressed (the FILE_MAX_MB setting, 256 MB by
    default: an annual national file is about 10 MB). RTE's lines are under 600
    bytes and a year of quarter hours is 35,136 lines, so the other two leave room
    for any layout RTE may publish while keeping a hostile file cheap to refuse.
    """

    max_bytes: int = 256 * MEGABYTE
    max_line_bytes: int = 4096
    max_lines: int = 200_000

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
    """Yield France's consumption at :00 and :30 from an éCO2mix file's bytes.

    Raises Eco2mixError, naming `source` and the line, for a foreign perimeter, a
    malformed line, a value out of range, a file past `limits`, or bytes that
    cannot be read. `contents`, when given, is filled in as lines are read.
    """
    blocks = _line_blocks(stream, source, limits)
    first = next(blocks, None)
    if first is None:
        raise Eco2mixError(source, "the file is empty; expected an éCO2mix header line")
    first_line, lines = first
    header, encoding = _decode_header(lines[0])
    reader = _LineReader(source, encoding, _column_indexes(header, source))
    try:
        yield from reader.points(itertools.chain([(first_line + 1, lines[1:])], blocks))
    finally:
        reader.summarise(contents if contents is not None else FileContents(source))


# A block of lines: the number of its first line in the file, and the lines, without their ends.
_Block = tuple[int, list[bytes]]


def _line_blocks(stream: IO[bytes], source: str, limits: ReadLimits) -> Iterator[_Block]:
    """The stream's lines, a block at a time, refusing the file past any of `limits`."""
    carried = b""  # the start of a line whose end is in the next block
    size = 0
    next_line = 1
    while True:
        block = _read_block(stream, source, next_line)
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


def _check_lines(lines: list[bytes], first_line: int, source: str, limits: ReadLimits) -> None:
    if first_line + len(lines) - 1 > limits.max_lines:
        raise Eco2mixError(source, f"more than {limits.max_lines:,} lines; refused", limits.max_lines + 1)
    if lines and max(map(len, lines)) > limits.max_line_bytes:
        longest = next(i for i, line in enumerate(lines) if len(line) > limits.max_line_bytes)
        raise Eco2mixError(source, f"a line longer than {limits.max_line_bytes:,} bytes; refused", first_line + longest)


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


def _decode_header(line: bytes) -> tuple[str, str]:
    """The header line's text, and the encoding of the file, told by a byte order mark."""
    if line.startswith(_UTF8_BOM):
        return line[len(_UTF8_BOM) :].decode("utf-8", errors="replace"), "utf-8"
    return line.decode(ENCODING, errors="replace"), ENCODING


def _column_indexes(header: str, source: str) -> dict[str, int]:
    indexes: dict[str, int] = {}
    for index, name in enumerate(header.split("\t")):
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


# What a date's text is read as: the day, its first minute key (for duplicates), and
# the UTC seconds of its midnight when one offset holds all day long, else None
# (the two days a year the clock changes).
_Day = tuple[dt.date, int, int | None]


class _LineReader:
    """Reads one file's data lines; the hot loop in `points`, the rare cases in helpers."""

    def __init__(self, source: str, encoding: str, columns: dict[str, int]) -> None:
        self.source = source
        self.encoding = encoding
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
        i_perimeter, i_nature, i_date, i_time, i_consumption = (self.columns[role] for role in _REQUIRED)
        # Only the first `width` fields are needed: splitting no further than them
        # saves creating the 35 strings of the production columns.
        width = max(self.columns.values()) + 1
        perimeter, natures, days, seen, times = self.perimeter, self.natures, self.days, self.seen, _TIMES
        point = functools.partial(tuple.__new__, ConsumptionPoint)  # the named tuple, without its __new__'s frame
        half_hours, first, last = 0, self.first, self.last
        try:
            for first_line, lines in blocks:
                for line, text in enumerate(lines, first_line):
                    row = text.split(b"\t", width)
                    if len(row) < width:
                        self.check_not_data(row, line, width)
                        continue
                    if row[i_perimeter] != perimeter:
                        self.check_perimeter(row[i_perimeter], line)
                    nature = natures.get(row[i_nature]) or self.read_nature(row[i_nature], line)
                    day, day_key, midnight = days.get(row[i_date]) or self.read_day(row[i_date], line)
                    minutes = times.get(row[i_time])
                    if minutes is None:
                        minutes = self.read_time(row[i_time], line)
                    key = day_key + minutes
                    if key in seen:
                        raise self.error(f"{self.text(row[i_date])} {self.text(row[i_time])} appears twice", line)
                    seen.add(key)

                    value = row[i_consumption]
                    if not (value.isdigit() and len(value) <= 6):
                        if value:  # empty, the usual missing value (:15 and :45 in annual files), is fine
                            self.check_missing(value, line)
                        continue
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
        return Eco2mixError(self.source, message, line)

    def check_not_data(self, row: list[bytes], line: int, width: int) -> None:
        """A line too short for data must be blank or the disclaimer."""
        if (len(row) == 1 and not row[0].strip()) or row[0].startswith(self.disclaimer):
            return
        raise self.error(f"{len(row)} fields where at least {width} were expected", line)

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

    def read_time(self, raw: bytes, line: int) -> int:
        minutes = _TIMES.get(raw.strip())
        if minutes is None:
            raise self.error(f"invalid time {self.text(raw)!r}; expected HH:MM", line)
        return minutes

    def check_missing(self, raw: bytes, line: int) -> None:
        """A value that is not a short run of ASCII digits must be a missing one: empty, `ND` or `-`."""
        if raw.strip().decode(self.encoding, errors="replace") in MISSING_VALUES:
            return
        if raw.isdigit():  # more than six digits
            raise self.out_of_range(raw, line)
        raise self.error(f"consumption {self.text(raw)!r} is not an integer number of MW", line)

    def out_of_range(self, raw: bytes, line: int) -> Eco2mixError:
        return self.error(
            f"consumption {self.text(raw)!r} MW is outside {MIN_CONSUMPTION_MW} to {MAX_CONSUMPTION_MW:,} MW",
            line,
        )
