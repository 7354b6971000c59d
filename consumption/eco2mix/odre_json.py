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

import ijson

FIELDS = ("perimetre", "nature", "date", "heure", "date_heure", "consommation")
HEADER = "\t".join(FIELDS).encode()
# Regional exports name their perimeter `libelle_region`: read as one, then refused as not France.
_FIELD_INDEX = {**{name: index for index, name in enumerate(FIELDS)}, "libelle_region": 0}
_SCALARS = frozenset({"string", "number", "boolean"})


class JsonShapeError(ValueError):
    """JSON that is not an array of flat records."""


def starts_as_json(head: bytes) -> bool:
    """Whether a file's first bytes open a JSON array or object rather than a header line."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] in (b"[", b"{")


def json_lines(stream: object) -> Iterator[bytes]:
    """`HEADER`, then one tab-separated line of `FIELDS` per record; JsonShapeError for anything else.

    `stream` is anything with a `read(size)` that returns bytes.
    """
    try:
        yield from _lines(ijson.basic_parse(stream, use_float=False))
    except ijson.JSONError as error:
        raise JsonShapeError(f"invalid JSON: {' '.join(str(error).split())[:200]}") from error


def _lines(events: Iterator[tuple[str, object]]) -> Iterator[bytes]:
    if next(events, ("", None))[0] != "start_array":
        raise JsonShapeError("not an array of records")
    yield HEADER
    row: list[bytes] | None = None
    field: int | None = None
    for event, value in events:
        if row is None:
            if event == "end_array":
                break
            if event != "start_map":
                raise JsonShapeError(f"{event} where a record (an object) was expected")
            row = [b""] * len(FIELDS)
        elif event == "map_key":
            field = _FIELD_INDEX.get(str(value))
        elif event in _SCALARS:
            if field is not None:  # a tab would split the line: as a space, the value is refused as any other
                row[field] = str(value).replace("\t", " ").encode()
        elif event == "end_map":
            yield b"\t".join(row)
            row = None
        elif event != "null":
            raise JsonShapeError("a nested object or array in a record; expected text, numbers or null")
    for _ in events:  # ijson raises on anything but white space after the array
        raise JsonShapeError("more after the array of records")
