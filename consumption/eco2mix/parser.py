"""Reading éCO2mix files: one reader per layout, each yielding readings; one step makes them points.

The layouts, told apart by their header (columns are found by normalised name):

- RTE's own files: tab-separated, Windows-1252, `Périmètre, Nature, Date, Heures,
  Consommation`, and the same re-saved with commas, without accents, in UTF-8: a
  line says when on Paris's wall clock (`Date`, `Heures`);
- ODRÉ's CSV export: `;`, UTF-8, labels (`Consommation (MW)`) or field names
  (`consommation`): its `Date - Heure` is an instant, with its offset;
- ODRÉ's JSON export (`odre_json`): an array of records by field name.

Each reader yields a `Reading` per data line (or record): when, MW, nature, and
where it was read. `to_points` checks them and makes France's consumption at :00
and :30 as UTC points. The traps, from RTE's samples README: both date formats, a
disclaimer as last line, empty / `ND` / `-` values, the lines of the spring-forward
gap, forecast-only lines at the end of recent files; and ODRÉ's: rows in several
sorted runs, the fall-back hour twice, told apart by its offsets.

What it accepts, so that a hostile or broken file is refused rather than stored:
consumption is ASCII digits only, from 1 to 200,000 MW (France's all-time peak is
about 102,000 MW); dates are in the years 2000 through next year; a file is at
most `ReadLimits.max_bytes` of text, `max_line_bytes` a line and `max_lines` lines.
Lines are read as bytes and split only up to the last column needed: the 35
production columns of RTE's current layout are never decoded.
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TypeVar

from consumption.domain.clock import PARIS
from consumption.domain.model import ConsumptionPoint, Nature

NATIONAL_PERIMETER = "France"
MISSING_VALUES = frozenset({"", "ND", "-"})
DISCLAIMER_START = b"RTE ne pourra"  # ASCII: the same bytes in every encoding
BOM = b"\xef\xbb\xbf"
ENCODING = "cp1252"  # RTE's files; UTF-8 when the header reads as UTF-8 (ODRÉ's, re-saved copies)
FIRST_YEAR = 2000  # RTE publishes éCO2mix data from 2012; nothing before 2000 can be right
MIN_CONSUMPTION_MW = 1
MAX_CONSUMPTION_MW = 200_000  # about twice France's all-time peak
MEGABYTE = 1024 * 1024
BLOCK_BYTES = 256 * 1024

_QUOTED_MAX = 40  # characters of a bad value quoted in a message
_DELIMITERS = ("\t", ";", ",")
_EXPECTED_HEADER = "expected RTE's columns Périmètre, Nature, Date, Heures, Consommation, or ODRÉ's export"
# Normalised header name -> the column's role, in every layout: RTE's (older files say
# "Heure"), ODRÉ's labels and field names. Exact: `Consommation corrigée (MW)` is none.
COLUMNS = {
    **dict.fromkeys(("perimetre", "region", "libelleregion"), "perimeter"),  # ODRÉ's regional exports: refused
    "nature": "nature",
    "date": "date",
    **dict.fromkeys(("heures", "heure"), "time"),
    **dict.fromkeys(("dateheure", "dateetheure"), "instant"),
    **dict.fromkeys(("consommation", "consommationmw"), "consumption"),
}
_CLOCK = {f"{h:02d}:{m:02d}".encode(): h * 3600 + m * 60 for h in range(24) for m in range(60)}  # seconds
_SIGNS = {b"+": 1, b"-": -1}
_OFFSETS = {sign + clock: factor * seconds for clock, seconds in _CLOCK.items() for sign, factor in _SIGNS.items()}
_NATURES = (("definitiv", Nature.DEFINITIVE), ("consolid", Nature.CONSOLIDATED), ("tempsreel", Nature.REAL_TIME))


class Eco2mixError(ValueError):
    """A file that cannot be imported; the message names the file and, if known, the line or record."""

    def __init__(self, source: str, message: str, line: int | None = None, unit: str = "line") -> None:
        self.line = line  # the record's number in a JSON file
        where = f"{source}, {unit} {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class Refused(ValueError):
    """A value that cannot be read; its reader adds the file and the line."""


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
    # Every year from 2000 to next year at quarter-hour resolution, in one file: ODRÉ
    # writes 100 quarter hours on a fall-back day; and a header and a disclaimer.
    max_lines: int = (PARIS.today().year + 2 - FIRST_YEAR) * 366 * 100 + 2

    @classmethod
    def from_megabytes(cls, megabytes: int) -> ReadLimits:
        return cls(max_bytes=megabytes * MEGABYTE)


DEFAULT_LIMITS = ReadLimits()


@dataclass
class FileContents:
    """What one file held, filled in while it is parsed; and, once imported, how many stored half hours it changed."""

    source: str
    natures: set[Nature] = field(default_factory=set)
    data_lines: int = 0
    half_hours: int = 0
    first: int | None = None  # UTC seconds of the first and last half hours yielded
    last: int | None = None
    changed: int = 0

    @property
    def perimeter(self) -> str | None:
        return NATIONAL_PERIMETER if self.data_lines else None


# A value of a data line (or JSON record), not yet checked against the others: where it was
# read (the line, or the record's number), when (an instant in UTC seconds, or Paris's wall
# clock on the days it changes), MW and nature. Lines with no value (empty, `ND`, `-`) are read, and give none.
Reading = tuple[int, dt.datetime | int, int, Nature]


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


def quoted(text: str) -> str:
    """A value as a message quotes it, on one line: shortened, a tab as a space."""
    text = text.replace("\t", " ")
    return repr(text if len(text) <= _QUOTED_MAX else text[:_QUOTED_MAX] + "…")


K = TypeVar("K")
V = TypeVar("V")


class Cache(dict[K, V]):
    """What each distinct text of a column reads as: a file repeats few of them."""

    def __init__(self, read: Callable[[K], V]) -> None:
        super().__init__()
        self.read = read

    def __missing__(self, key: K) -> V:
        value = self[key] = self.read(key)
        return value


def normalise_header(name: str) -> str:
    """`' Périmètre '` -> `'perimetre'`: lower case ASCII letters and digits only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum())


def read_perimeter(text: str) -> None:
    if text.strip() != NATIONAL_PERIMETER:
        problem = f"perimeter {quoted(text.strip())} is not {NATIONAL_PERIMETER!r}: only national files are imported"
        raise Refused(problem)


def read_nature(text: str) -> Nature:
    """`Données temps réel` / `Données consolidées` / `Données définitives` -> Nature."""
    key = normalise_header(text)
    for part, nature in _NATURES:
        if part in key:
            return nature
    expected = "expected Données temps réel, Données consolidées or Données définitives"
    raise Refused(f"unknown nature {quoted(text)}; {expected}")


def read_date(text: str) -> dt.datetime:
    """`YYYY-MM-DD` (RTE's files) or `DD/MM/YYYY` (RTE's specification) -> its midnight."""
    text = text.strip()
    iso = f"{text[6:]}-{text[3:5]}-{text[:2]}" if text[2:3] + text[5:6] == "//" else text
    try:
        if not (len(iso) == 10 and iso[4] + iso[7] == "--" and iso.replace("-", "").isdecimal() and iso.isascii()):
            raise ValueError(iso)
        midnight = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise Refused(f"invalid date {quoted(text)}; expected YYYY-MM-DD or DD/MM/YYYY") from None
    latest = PARIS.today().year + 1
    if not FIRST_YEAR <= midnight.year <= latest:
        raise Refused(f"date {quoted(text)} is outside the years {FIRST_YEAR} to {latest}")
    return midnight


def read_time(raw: bytes) -> int:
    """`HH:MM` -> seconds since midnight on the wall clock."""
    seconds = _CLOCK.get(raw.strip())
    if seconds is None:
        raise Refused(f"invalid time {quoted(raw.decode(errors='replace'))}; expected HH:MM")
    return seconds


def read_mw(text: str) -> int | None:
    """A consumption in MW: None when missing; a whole number written as a decimal
    (`48075.0`, as a spreadsheet or pandas re-saves a column with empty cells) is one."""
    if text.strip() in MISSING_VALUES:
        return None
    whole, point, fraction = text.partition(".")
    if whole.isascii() and whole.isdigit() and not (point and fraction.strip("0")):
        return int(whole)  # at most a line's length of digits; to_points checks its range
    raise Refused(f"consumption {quoted(text)} is not an integer number of MW")


def read_instant(raw: bytes, days: Cache[bytes, int]) -> int:
    """`2024-01-01T02:00:00+01:00` (ODRÉ's `Date - Heure`) -> UTC seconds; `days` gives
    the UTC seconds of a `YYYY-MM-DD` midnight."""
    seconds, offset = _CLOCK.get(raw[11:16]), _OFFSETS.get(raw[19:])
    if seconds is None or offset is None or raw[10:11] != b"T" or raw[16:19] != b":00":
        expected = "expected YYYY-MM-DDTHH:MM:00+HH:MM"
        raise Refused(f"invalid date and time {quoted(raw.decode(errors='replace'))}; {expected}")
    return days[raw[:10]] + seconds - offset


def utc_day_start(text: str) -> int:
    """A date's midnight in UTC seconds, for instants read with their offset."""
    return int(read_date(text).replace(tzinfo=dt.UTC).timestamp())


def to_points(
    readings: Iterable[Reading], source: str, contents: FileContents, unit: str
) -> Iterator[ConsumptionPoint]:
    """France's consumption at :00 and :30 from `readings`, as UTC points; each reading
    checked: given once, its MW plausible. A time that the clock skips is dropped: the
    spring-forward lines repeat others."""
    seen: set[int] = set()  # the instants read
    try:
        for where, when, mw, nature in readings:
            instant = when if isinstance(when, int) else PARIS.to_utc(when)
            if instant is None:  # in the spring-forward gap
                continue
            if instant in seen:
                shown = when if isinstance(when, dt.datetime) else dt.datetime.fromtimestamp(when, PARIS.zone)
                raise Eco2mixError(source, f"{shown.isoformat()} appears twice", where, unit)
            seen.add(instant)
            if not MIN_CONSUMPTION_MW <= mw <= MAX_CONSUMPTION_MW:
                limits = f"{MIN_CONSUMPTION_MW} to {MAX_CONSUMPTION_MW:,} MW"
                raise Eco2mixError(source, f"consumption {quoted(str(mw))} MW is outside {limits}", where, unit)
            if instant % 1800 == 0:
                yield ConsumptionPoint(instant, mw, nature)
    finally:
        half_hours = [instant for instant in seen if instant % 1800 == 0]
        contents.half_hours += len(half_hours)
        if half_hours:
            contents.first, contents.last = min(half_hours), max(half_hours)


def paris_day(midnight: dt.datetime) -> int | dt.datetime:
    """Where a day's wall clock starts: the UTC seconds of its midnight when the day keeps
    one offset in Paris; else the midnight itself, the two days a year the clock changes."""
    start, end = (PARIS.zone.utcoffset(midnight.replace(hour=hour)) for hour in (0, 23))
    return int(midnight.replace(tzinfo=PARIS.zone).timestamp()) if start == end else midnight


def starts_eco2mix(stream: IO[bytes], source: str) -> bool:
    """Whether a file opens as an éCO2mix file: a JSON array, or a header naming its columns."""
    head = read_block(stream, source, 1)
    try:
        return _starts_as_json(head) or bool(_header((head.splitlines() or [b""])[0], source))
    except Eco2mixError:
        return False


def _starts_as_json(head: bytes) -> bool:
    return head.removeprefix(BOM).lstrip()[:1] in (b"[", b"{")


def parse_eco2mix(
    stream: IO[bytes], source: str, contents: FileContents | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> Iterator[ConsumptionPoint]:
    """Yield France's consumption at :00 and :30 from an éCO2mix file's bytes, in any layout.

    Raises Eco2mixError, naming `source` and the line, for a foreign perimeter, a
    malformed line, a value out of range, a file past `limits`, or bytes that
    cannot be read. `contents`, when given, is filled in as lines are read.
    """
    contents = contents if contents is not None else FileContents(source)
    head = read_block(stream, source, 1)
    if _starts_as_json(head):
        from consumption.eco2mix import odre_json  # ijson, for JSON files only

        yield from to_points(odre_json.readings(head, stream, source, limits, contents), source, contents, "record")
        return
    lines = enumerate(itertools.chain.from_iterable(_lines(head, stream, source, limits)), 1)
    _, header = next(lines, (0, b""))
    if not header:
        raise Eco2mixError(source, "the file is empty; expected an éCO2mix header line")
    yield from to_points(_delimited(header, lines, source, contents), source, contents, "line")


def read_block(stream: IO[bytes], source: str, next_line: int) -> bytes:
    try:
        return stream.read(BLOCK_BYTES)
    # Decompressing a hostile or damaged archive raises whatever its codec raises
    # (zlib.error, EOFError, BadZipFile, lzma.LZMAError, OSError, MemoryError, ...):
    # all of them mean that this file cannot be read.
    except Exception as error:
        where = f" after line {next_line - 1}" if next_line > 1 else ""
        raise Eco2mixError(source, f"cannot be read{where}: {describe(error)}") from error


def _lines(head: bytes, stream: IO[bytes], source: str, limits: ReadLimits) -> Iterator[list[bytes]]:
    """The lines of `head` and the stream after it, without their ends, a block at a time,
    refused past any of `limits`; a line longer than allowed is refused without reading on."""
    carried, size, count, block = b"", 0, 0, head
    while True:
        size += len(block)
        if size > limits.max_bytes:
            raise too_large(source, limits)
        text = carried + block
        cut = text.rfind(b"\n") + 1 if block else len(text)
        lines, carried = text[:cut].splitlines(), text[cut:]
        if len(carried) > limits.max_line_bytes:
            lines.append(carried)
        if lines and max(map(len, lines)) > limits.max_line_bytes:
            longest = next(i for i, line in enumerate(lines, count + 1) if len(line) > limits.max_line_bytes)
            raise Eco2mixError(source, f"a line longer than {limits.max_line_bytes:,} bytes; refused", longest)
        count += len(lines)
        if count > limits.max_lines:
            raise Eco2mixError(source, f"more than {limits.max_lines:,} lines; refused", limits.max_lines + 1)
        yield lines
        if not block:
            return
        block = read_block(stream, source, count + 1)


def _header(line: bytes, source: str) -> tuple[str, bytes, dict[str, int]]:
    """The encoding, the delimiter and the columns (role -> index) of a header line; an
    Eco2mixError when a role has no column."""
    try:
        text, encoding = line.removeprefix(BOM).decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = line.decode(ENCODING, errors="replace"), ENCODING
    delimiter = max(_DELIMITERS, key=text.count)  # no name in any layout holds another's delimiter
    columns: dict[str, int] = {}
    for index, name in enumerate(text.split(delimiter)):
        columns.setdefault(COLUMNS.get(normalise_header(name), ""), index)
    given = set(columns) | ({"date", "time"} if "instant" in columns else set())
    missing = [role for role in ("perimeter", "nature", "date", "time", "consumption") if role not in given]
    if missing:
        problem = f"not an éCO2mix file: the header (line 1) has no column for {', '.join(missing)}"
        raise Eco2mixError(source, f"{problem}; {_EXPECTED_HEADER}", line=1)
    columns.pop("", None)
    return encoding, delimiter.encode(), columns


def _delimited(
    header: bytes, lines: Iterator[tuple[int, bytes]], source: str, contents: FileContents
) -> Iterator[Reading]:
    """RTE's tab-separated files, their re-saved copies and ODRÉ's CSV export: a reading per
    data line that holds a value; blank lines and the disclaimer (padded by a spreadsheet
    to the data's width, or quoted) are skipped."""
    encoding, delimiter, columns = _header(header, source)

    def text(raw: bytes) -> str:
        return raw.decode(encoding, errors="replace")

    natures: Cache[bytes, Nature] = Cache(lambda raw: read_nature(text(raw)))
    days: Cache[bytes, int | dt.datetime] = Cache(lambda raw: paris_day(read_date(text(raw))))
    times: Cache[bytes, int] = Cache(read_time)
    instant_days: Cache[bytes, int] = Cache(lambda raw: utc_day_start(text(raw)))
    width = max(columns.values()) + 1  # split no further: see the module's docstring
    perimeter, nature, consumption = columns["perimeter"], columns["nature"], columns["consumption"]
    date, time_, instant = columns.get("date", -1), columns.get("time", -1), columns.get("instant", -1)
    france = NATIONAL_PERIMETER.encode()
    number = data_lines = 0
    try:
        for number, line in lines:
            row = line.split(delimiter, width)
            if len(row) < width or row[perimeter] != france:
                if not line.strip() or row[0].lstrip(b'"').startswith(DISCLAIMER_START):
                    continue
                if len(row) < width:
                    raise Refused(f"{len(row)} fields where at least {width} were expected")
                read_perimeter(text(row[perimeter]))
            data_lines += 1
            nature_read, value = natures[row[nature]], row[consumption]
            if instant >= 0:
                when: dt.datetime | int = read_instant(row[instant], instant_days)
            elif isinstance(day := days[row[date]], int):
                when = day + times[row[time_]]
            else:  # a day the clock changes: its wall clock, which to_points reads
                when = day + dt.timedelta(seconds=times[row[time_]])
            if value.isdigit() and len(value) <= 6:
                mw: int | None = int(value)
            else:
                mw = read_mw(text(value)) if value else None
            if mw is not None:
                yield number, when, mw, nature_read
    except Refused as error:
        raise Eco2mixError(source, str(error), number) from None
    finally:
        contents.data_lines += data_lines
        contents.natures.update(natures.values())
