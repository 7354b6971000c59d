"""Writing a range of half hours as JSON or CSV text, with whole days' text kept for reuse.

The text of a half hour never depends on the range that asks for it, so the body
of a response is cut into UTC days: a day that lies wholly inside the range is
taken from a bounded in-memory cache when the database's data generation (bumped
by every import that changes data, in the same transaction) is the one it was
rendered at; the others are read in one query and rendered. Measured on a
one-year range (scripts/bench.py): from 17 to 121 requests/s with a warm cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from consumption.domain.clock import Clock
from consumption.domain.model import WATTS_PER_MEGAWATT, Nature
from consumption.storage.reader import RangeQuery, Row
from consumption.web.params import Query

DAY_SECONDS = 86_400  # one UTC day: 48 half hours
CHUNK_CHARACTERS = 64 * 1024  # what a streamed response sends at a time: a few ms of rendering
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


def stored_json(query: Query, range_query: RangeQuery) -> str:
    """The stored span, so that an empty answer says what exists: `{"first": …, "last": …}`."""
    first, last = range_query.freshness.first, range_query.freshness.last
    first_text = "null" if first is None else f'"{query.clock.isoformat(first)}"'
    last_text = "null" if last is None else f'"{query.clock.isoformat(last)}"'
    return f'{{"first":{first_text},"last":{last_text}}}'


def envelope_head(query: Query, range_query: RangeQuery) -> str:
    """The JSON envelope up to `data`: the resolved bounds, unit, interval, stored span."""
    time_range = query.time_range
    return (
        f'{{"start":"{time_range.start_text}","end":"{time_range.end_text}","unit":"W",'
        f'"interval":"{query.interval}","stored":{stored_json(query, range_query)},'
    )


def json_head(query: Query, range_query: RangeQuery) -> str:
    return f'{envelope_head(query, range_query)}"count":{range_query.count},"data":['


@dataclass(frozen=True)
class OutputFormat:
    """How an output format writes a range: what comes first, rows, between rows, last."""

    name: str
    media_type: str
    head: Callable[[Query, RangeQuery], str]
    rows: Callable[[list[Row], Clock], str]
    separator: str
    tail: str


OUTPUT_FORMATS = {
    "json": OutputFormat("json", "application/json", json_head, rows_json, ",", "]}"),
    "csv": OutputFormat("csv", "text/csv; charset=utf-8", lambda q, r: CSV_HEADER, rows_csv, "", ""),
}


class RenderedDayCache:
    """Rendered text of whole UTC days, least recently used first out, at most `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._texts: OrderedDict[tuple[str, str, int], str] = OrderedDict()
        self._size = 0
        self._generation: int | None = None

    def get(self, generation: int | None, key: tuple[str, str, int]) -> str | None:
        if generation is None or generation != self._generation:
            return None
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text

    def put(self, generation: int | None, key: tuple[str, str, int], text: str) -> None:
        if not self.max_bytes or generation is None:
            return
        if generation != self._generation:
            self._texts.clear()
            self._size, self._generation = 0, generation
        if key in self._texts:
            return
        self._texts[key] = text
        self._size += len(text)
        while self._size > self.max_bytes:
            _, evicted = self._texts.popitem(last=False)
            self._size -= len(evicted)


def render_rows(query: RangeQuery, output: OutputFormat, cache: RenderedDayCache, clock: Clock) -> Iterator[str]:
    """The rows of the range as text pieces, separators included, in time order."""
    separator = ""
    for text in _day_texts(query, output, cache, clock):
        if text:
            yield separator + text
            separator = output.separator


def _day_texts(query: RangeQuery, output: OutputFormat, cache: RenderedDayCache, clock: Clock) -> Iterator[str]:
    """Each day's text, from the cache when whole and current, else read in runs of days.

    Only the days between the first and last stored half hours: a range of
    thousands of years costs no more than the data it holds.
    """
    if query.first is None or query.last is None:
        return
    pending: list[int] = []  # consecutive days to read from the database
    for day in range(query.first // DAY_SECONDS, query.last // DAY_SECONDS + 1):
        cached = cache.get(query.generation, (output.name, clock.name, day)) if _is_whole(query, day) else None
        if cached is None:
            pending.append(day)
            continue
        if pending:
            yield from _read_days(query, output, cache, clock, pending)
            pending = []
        yield cached
    if pending:
        yield from _read_days(query, output, cache, clock, pending)


def _is_whole(query: RangeQuery, day: int) -> bool:
    return query.start <= day * DAY_SECONDS and (day + 1) * DAY_SECONDS - 1 <= query.end


def _read_days(
    query: RangeQuery, output: OutputFormat, cache: RenderedDayCache, clock: Clock, days: list[int]
) -> Iterator[str]:
    """Read consecutive days in one query; render each as soon as it is complete."""
    low = max(query.start, days[0] * DAY_SECONDS)
    high = min(query.end, (days[-1] + 1) * DAY_SECONDS - 1)
    by_day: dict[int, list[Row]] = {day: [] for day in days}
    for batch in query.rows(low, high):
        for row in batch:
            by_day[row[0] // DAY_SECONDS].append(row)
        # Render the days completed so far, keeping memory to about one batch.
        current = batch[-1][0] // DAY_SECONDS
        while (first := next(iter(by_day))) < current:
            yield _render_day(query, output, cache, clock, first, by_day.pop(first))
    for day in list(by_day):
        yield _render_day(query, output, cache, clock, day, by_day.pop(day))


def _render_day(
    query: RangeQuery, output: OutputFormat, cache: RenderedDayCache, clock: Clock, day: int, rows: list[Row]
) -> str:
    text = output.rows(rows, clock) if rows else ""
    if _is_whole(query, day):
        cache.put(query.generation, (output.name, clock.name, day), text)
    return text


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


def render_body(query: Query, range_query: RangeQuery, output: OutputFormat, cache: RenderedDayCache) -> Iterator[str]:
    """The whole body of a half-hour range in chunks of about CHUNK_CHARACTERS."""
    head = output.head(query, range_query)
    return chunked(head, render_rows(range_query, output, cache, query.clock), output.tail)
