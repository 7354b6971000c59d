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
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from consumption.domain.model import WATTS_PER_MEGAWATT, Nature
from consumption.domain.paris_time import paris_isoformat
from consumption.storage.reader import RangeQuery, Row
from consumption.web.params import TimeRange

DAY_SECONDS = 86_400  # one UTC day: 48 half hours
CHUNK_CHARACTERS = 64 * 1024  # what a streamed response sends at a time: a few ms of rendering
NATURE_LABELS = {nature.value: nature.label for nature in Nature}
CSV_HEADER = "timestamp,consumption_w,nature\r\n"


def rows_json(rows: list[Row]) -> str:
    """The JSON objects of rows, comma-separated, written without building dicts."""
    labels = NATURE_LABELS
    return ",".join(
        [
            f'{{"timestamp":"{paris_isoformat(timestamp)}",'
            f'"consumption_w":{consumption_mw * WATTS_PER_MEGAWATT},'
            f'"nature":"{labels[nature]}"}}'
            for timestamp, consumption_mw, nature in rows
        ]
    )


def rows_csv(rows: list[Row]) -> str:
    labels = NATURE_LABELS
    return "".join(
        [
            f"{paris_isoformat(timestamp)},{consumption_mw * WATTS_PER_MEGAWATT},{labels[nature]}\r\n"
            for timestamp, consumption_mw, nature in rows
        ]
    )


def json_head(time_range: TimeRange, count: int) -> str:
    return f'{{"start":"{time_range.start_text}","end":"{time_range.end_text}","unit":"W","count":{count},"data":['


@dataclass(frozen=True)
class OutputFormat:
    """How an output format writes a range: what comes first, rows, between rows, last."""

    name: str
    media_type: str
    head: Callable[[TimeRange, int], str]
    rows: Callable[[list[Row]], str]
    separator: str
    tail: str


OUTPUT_FORMATS = {
    "json": OutputFormat("json", "application/json", json_head, rows_json, ",", "]}"),
    "csv": OutputFormat("csv", "text/csv; charset=utf-8", lambda r, c: CSV_HEADER, rows_csv, "", ""),
}


class RenderedDayCache:
    """Rendered text of whole UTC days, least recently used first out, at most `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._texts: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._size = 0
        self._generation: int | None = None

    def get(self, generation: int | None, key: tuple[str, int]) -> str | None:
        if generation is None or generation != self._generation:
            return None
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text

    def put(self, generation: int | None, key: tuple[str, int], text: str) -> None:
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


def render_rows(query: RangeQuery, output: OutputFormat, cache: RenderedDayCache) -> Iterator[str]:
    """The rows of the range as text pieces, separators included, in time order."""
    separator = ""
    for text in _day_texts(query, output, cache):
        if text:
            yield separator + text
            separator = output.separator


def _day_texts(query: RangeQuery, output: OutputFormat, cache: RenderedDayCache) -> Iterator[str]:
    """Each day's text, from the cache when whole and current, else read in runs of days.

    Only the days between the first and last stored half hours: a range of
    thousands of years costs no more than the data it holds.
    """
    if query.first is None or query.last is None:
        return
    pending: list[int] = []  # consecutive days to read from the database
    for day in range(query.first // DAY_SECONDS, query.last // DAY_SECONDS + 1):
        cached = cache.get(query.generation, (output.name, day)) if _is_whole(query, day) else None
        if cached is None:
            pending.append(day)
            continue
        if pending:
            yield from _read_days(query, output, cache, pending)
            pending = []
        yield cached
    if pending:
        yield from _read_days(query, output, cache, pending)


def _is_whole(query: RangeQuery, day: int) -> bool:
    return query.start <= day * DAY_SECONDS and (day + 1) * DAY_SECONDS - 1 <= query.end


def _read_days(query: RangeQuery, output: OutputFormat, cache: RenderedDayCache, days: list[int]) -> Iterator[str]:
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
            yield _render_day(query, output, cache, first, by_day.pop(first))
    for day in list(by_day):
        yield _render_day(query, output, cache, day, by_day.pop(day))


def _render_day(query: RangeQuery, output: OutputFormat, cache: RenderedDayCache, day: int, rows: list[Row]) -> str:
    text = output.rows(rows) if rows else ""
    if _is_whole(query, day):
        cache.put(query.generation, (output.name, day), text)
    return text


def render_body(
    time_range: TimeRange, query: RangeQuery, output: OutputFormat, cache: RenderedDayCache
) -> Iterator[str]:
    """The whole body in chunks of about CHUNK_CHARACTERS."""
    chunk = [output.head(time_range, query.count)]
    size = len(chunk[0])
    for piece in render_rows(query, output, cache):
        chunk.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARACTERS:
            yield "".join(chunk)
            chunk, size = [], 0
    chunk.append(output.tail)
    yield "".join(chunk)
