"""ODRÉ's JSON export: one array of flat records, streamed, never held whole.

ODRÉ exports a dataset as one JSON array of objects keyed by field name
(`perimetre`, `nature`, `date_heure`, `consommation`, ...), its numbers sometimes
as strings, `null` where there is no value. ijson's C backend parses the stream a
block at a time; the items are built here from its events rather than by
`ijson.items`, so that a record holding an object or an array is refused at its
first byte: deep nesting costs nothing. A record counts as a line for
`ReadLimits`, and a run of bytes without a quote (a file's longest token) as a
line's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import ijson

from consumption.eco2mix import parser

_SCALARS = frozenset({"string", "number", "boolean", "null"})
_EXPECTED = 'expected ODRÉ\'s JSON export, [{"perimetre": …, "consommation": …}, …]'


class JsonShapeError(ValueError):
    """JSON that is not an array of flat records."""


def readings(
    head: bytes, stream: IO[bytes], source: str, limits: parser.ReadLimits, contents: parser.FileContents
) -> Iterator[parser.Reading]:
    """A reading per record that holds a value; `head` is the file's first bytes, read from `stream`."""
    days: parser.Cache[bytes, int] = parser.Cache(lambda raw: parser.utc_day_start(raw.decode()))
    natures = parser.Cache(parser.read_nature)
    number = 0
    try:
        for number, item in enumerate(items(_BoundedJson(head, stream, source, limits)), 1):
            if number > limits.max_lines:
                raise parser.Refused(f"more than {limits.max_lines:,} records; refused")
            parser.read_perimeter(item.get("perimetre") or item.get("libelle_region") or "")
            mw = None if item.get("consommation") is None else parser.read_mw(item["consommation"])
            when = parser.read_instant((item.get("date_heure") or "").encode(), days)
            nature = natures[item.get("nature") or ""]
            contents.data_lines += 1
            if mw is not None:
                yield number, when, mw, nature
    except (ijson.JSONError, JsonShapeError) as error:
        reason = " ".join(str(error).split())[:200]
        problem = reason if isinstance(error, JsonShapeError) else f"invalid JSON: {reason}"
        raise parser.Eco2mixError(source, f"{problem}; {_EXPECTED}", number + 1, "record") from error
    except parser.Refused as error:
        raise parser.Eco2mixError(source, str(error), number, "record") from None
    finally:
        contents.natures.update(natures.values())


def items(stream: object) -> Iterator[dict[str, str]]:
    """Each record of the array, its scalars as text; JsonShapeError for anything else.
    `stream` is anything with a `read(size)` that returns bytes."""
    events = ijson.basic_parse(stream, use_float=False)
    if next(events, ("", None))[0] != "start_array":
        raise JsonShapeError("not an array of records")
    for event, value in events:
        if event == "end_array":
            break
        if event != "start_map":
            raise JsonShapeError(f"{event} where a record (an object) was expected")
        item: dict[str, str] = {}
        for event, value in events:
            if event == "end_map":
                break
            event, scalar = next(events)
            if event not in _SCALARS:
                raise JsonShapeError("a nested object or array in a record; expected text, numbers or null")
            if scalar is not None:
                item[str(value)] = str(scalar)
        yield item
    next(events, None)  # ijson raises on anything but white space after the array


class _BoundedJson:
    """A JSON file's bytes for ijson, refused past `limits.max_bytes`, or past a run of
    `max_line_bytes` without a quote: what a huge string, number or nesting would need."""

    def __init__(self, head: bytes, stream: IO[bytes], source: str, limits: parser.ReadLimits) -> None:
        self.pending, self.stream, self.source, self.limits = head.removeprefix(b"\xef\xbb\xbf"), stream, source, limits
        self.size = 0
        self.unquoted = b""  # the bytes since the last quote

    def read(self, size: int = -1, /) -> bytes:
        if size == 0:  # ijson's probe of the type read returns
            return b""
        block, self.pending = self.pending or parser.read_block(self.stream, self.source, 1), b""
        self.size += len(block)
        if self.size > self.limits.max_bytes:
            raise parser.too_large(self.source, self.limits)
        runs = (self.unquoted + block).split(b'"')
        longest, self.unquoted = max(map(len, runs)), runs[-1]
        if longest > self.limits.max_line_bytes:
            problem = f"{longest:,} bytes without a quote, more than a record holds; refused"
            raise parser.Eco2mixError(self.source, problem)
        return block
