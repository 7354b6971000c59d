"""ODRÉ's JSON export as lines of text: one array of flat records, streamed, never held whole.

ODRÉ exports a dataset as one JSON array of objects keyed by field name
(`perimetre`, `nature`, `date`, `heure`, `date_heure`, `consommation`, ...), its
numbers sometimes as strings, `null` where there is no value. `json_lines` turns
each record into one tab-separated line of the fields the parser reads, after a
header line naming them, so that the parser reads it as it reads ODRÉ's CSV
export. ijson's C backend parses the stream a block at a time; a record holding an
object or an array is refused at once, so that deep nesting costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import ijson

FIELDS = ("perimetre", "nature", "date", "heure", "date_heure", "consommation")
HEADER = "\t".join(FIELDS).encode()
# Regional exports name their perimeter `libelle_region`: read as one, then refused as not France.
_FIELD_INDEX = {**{name: index for index, name in enumerate(FIELDS)}, "libelle_region": 0}
_SCALARS = frozenset({"string", "number", "boolean"})
_LINE_BREAKERS = ("\t", "\n", "\r")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class JsonShapeError(ValueError):
    """JSON that is not an array of flat records; `record` counts from 1."""

    def __init__(self, message: str, record: int) -> None:
        super().__init__(message)
        self.record = record


def starts_as_json(head: bytes) -> bool:
    """Whether a file's first bytes open a JSON array or object rather than a header line."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"[", b"{")


def json_lines(stream: Readable) -> Iterator[bytes]:
    """`HEADER`, then one tab-separated line of `FIELDS` per record; JsonShapeError for anything else."""
    records = [0]  # how many were read, for the messages
    try:
        yield from _lines(ijson.basic_parse(stream, use_float=False), records)
    except ijson.JSONError as error:
        raise JsonShapeError(f"invalid JSON: {' '.join(str(error).split())[:200]}", records[0] + 1) from error


def _lines(events: Iterator[tuple[str, object]], records: list[int]) -> Iterator[bytes]:
    if next(events, ("", None))[0] != "start_array":
        raise JsonShapeError('not an array of records; expected ODRÉ\'s JSON export, [{"perimetre": …}, …]', 1)
    yield HEADER
    row: list[bytes] | None = None
    field: int | None = None
    for event, value in events:
        if row is None:
            if event == "end_array":
                break
            if event != "start_map":
                raise JsonShapeError(f"{event} where a record (an object) was expected", records[0] + 1)
            row, records[0] = [b""] * len(FIELDS), records[0] + 1
        elif event == "map_key":
            field = _FIELD_INDEX.get(str(value))
        elif event in _SCALARS:
            if field is not None:
                row[field] = _field_bytes(value, records[0])
        elif event == "end_map":
            yield b"\t".join(row)
            row = None
        elif event != "null":
            raise JsonShapeError("a nested object or array in a record; expected text, numbers or null", records[0])
    for _ in events:  # ijson raises on anything but white space after the array
        raise JsonShapeError("more after the array of records", records[0])


def _field_bytes(value: object, record: int) -> bytes:
    text = value if isinstance(value, str) else str(value)
    if any(c in text for c in _LINE_BREAKERS):
        raise JsonShapeError(f"a value holding a tab or a line break: {text[:40]!r}", record)
    return text.encode()
