"""Writing a range of half hours as JSON or CSV text, in chunks: rows are written as
f-strings straight from the database's tuples, never through dicts and `json.dumps`
(see docs/benchmarks.md)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from consumption.domain.clock import Clock
from consumption.domain.model import WATTS_PER_MEGAWATT, Nature
from consumption.storage.reader import RangeQuery, Row
from consumption.web.params import Query

# What a streamed response sends at a time: well under a millisecond of rendering, so that
# twenty long streams on the event loop keep a short request waiting little.
CHUNK_CHARACTERS = 16 * 1024
NATURE_LABELS = {nature.value: nature.label for nature in Nature}
CSV_HEADER = "timestamp,consumption_w,nature\r\n"


def rows_json(rows: list[Row], clock: Clock) -> str:
    """The JSON objects of rows, comma-separated, written without building dicts."""
    labels, isoformat = NATURE_LABELS, clock.isoformat
    return ",".join(
        [
            f'{{"timestamp":"{isoformat(timestamp)}",'
            f'"consumption_w":{consumption_mw * WATTS_PER_MEGAWATT},'
            f'"nature":"{labels[nature]}"}}'
            for timestamp, consumption_mw, nature in rows
        ]
    )


def rows_csv(rows: list[Row], clock: Clock) -> str:
    labels, isoformat = NATURE_LABELS, clock.isoformat
    return "".join(
        [
            f"{isoformat(timestamp)},{consumption_mw * WATTS_PER_MEGAWATT},{labels[nature]}\r\n"
            for timestamp, consumption_mw, nature in rows
        ]
    )


def envelope_head(query: Query, range_query: RangeQuery) -> str:
    """The JSON envelope up to `data`: the resolved bounds, unit, interval, and the stored span,
    so that an empty answer says what exists: `{"first": …, "last": …}`."""
    time_range, freshness = query.time_range, range_query.freshness
    stored = {"first": freshness.first, "last": freshness.last}
    span = {name: None if at is None else query.clock.isoformat(at) for name, at in stored.items()}
    return (
        f'{{"start":"{time_range.start_text}","end":"{time_range.end_text}","unit":"W",'
        f'"interval":"{query.interval}","stored":{json.dumps(span, separators=(",", ":"))},'
    )


def json_head(query: Query, range_query: RangeQuery) -> str:
    return f'{envelope_head(query, range_query)}"count":{range_query.count},"data":['


@dataclass(frozen=True)
class OutputFormat:
    """How an output format writes a range: what comes first, rows, between rows, last."""

    media_type: str
    head: Callable[[Query, RangeQuery], str]
    rows: Callable[[list[Row], Clock], str]
    separator: str
    tail: str


OUTPUT_FORMATS = {
    "json": OutputFormat("application/json", json_head, rows_json, ",", "]}"),
    "csv": OutputFormat("text/csv; charset=utf-8", lambda query, range_query: CSV_HEADER, rows_csv, "", ""),
}


def render_rows(query: RangeQuery, output: OutputFormat, clock: Clock) -> Iterator[str]:
    """The rows of the range as text, a piece per batch read, separators included, in time order."""
    separator = ""
    for batch in query.rows():
        yield separator + output.rows(batch, clock)
        separator = output.separator


def chunked(head: str, pieces: Iterable[str], tail: str) -> Iterator[str]:
    """`head`, the pieces and `tail`, joined into chunks of about CHUNK_CHARACTERS."""
    chunk, size = [head], len(head)
    for piece in pieces:
        chunk.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARACTERS:
            yield "".join(chunk)
            chunk, size = [], 0
    chunk.append(tail)
    yield "".join(chunk)


def render_body(query: Query, range_query: RangeQuery) -> Iterator[str]:
    """The whole body of a half-hour range in chunks of about CHUNK_CHARACTERS."""
    output = OUTPUT_FORMATS[query.output]
    return chunked(output.head(query, range_query), render_rows(range_query, output, query.clock), output.tail)
