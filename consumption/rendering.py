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
from consumption.sqlite_reader import RangeQuery
from consumption.time_range import TimeRange

BLOCK_SECONDS = 86_400  # one UTC day: 48 half hours
CHUNK_CHARACTERS = 256 * 1024  # what a streamed response sends at a time
NATURE_LABELS = {nature.value: nature.label for nature in Nature}
CSV_HEADER = "timestamp,consumption_w,nature\r\n"

Row = tuple[int, int, int]


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
    return (
        f'{{"start":"{time_range.start_text}","end":"{time_range.end_text}",'
        f'"unit":"W","count":{count},"data":['
    )


@dataclass(frozen=True)
class Rendering:
    """How a format writes a range: what comes first, rows, between rows, last."""

    name: str
    media_type: str
    head: Callable[[TimeRange, int], str]
    rows: Callable[[list[Row]], str]
    separator: str
    tail: str


RENDERINGS = {
    "json": Rendering("json", "application/json", json_head, rows_json, ",", "]}"),
    "csv": Rendering("csv", "text/csv; charset=utf-8", lambda r, c: CSV_HEADER, rows_csv, "", ""),
}


class BlockCache:
    """Rendered text of whole UTC days, least recently used first out, at most `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._texts: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._size = 0
        self._generation: int | None = None

    def get(self, generation: int, key: tuple[str, int]) -> str | None:
        if generation != self._generation:
            return None
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text

    def put(self, generation: int, key: tuple[str, int], text: str) -> None:
        if not self.max_bytes:
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


def render_rows(query: RangeQuery, rendering: Rendering, cache: BlockCache) -> Iterator[str]:
    """The rows of the range as text pieces, separators included, in time order."""
    start, end, generation = query.start, query.end, query.generation
    cacheable = generation is not None and cache.max_bytes > 0
    separator = ""
    pending: list[int] = []  # consecutive days to read from the database

    def emit(text: str) -> Iterator[str]:
        nonlocal separator
        if text:
            yield separator + text
            separator = rendering.separator

    def whole(block: int) -> bool:
        return start <= block * BLOCK_SECONDS and (block + 1) * BLOCK_SECONDS - 1 <= end

    def read(blocks: list[int]) -> Iterator[str]:
        low = max(start, blocks[0] * BLOCK_SECONDS)
        high = min(end, (blocks[-1] + 1) * BLOCK_SECONDS - 1)
        by_block: dict[int, list[Row]] = {block: [] for block in blocks}
        for batch in query.rows(low, high):
            for row in batch:
                by_block[row[0] // BLOCK_SECONDS].append(row)
            # Render the days completed so far, keeping memory to about one batch.
            current = batch[-1][0] // BLOCK_SECONDS
            while (first := next(iter(by_block))) < current:
                yield from finish(first, by_block.pop(first))
        for block in list(by_block):
            yield from finish(block, by_block.pop(block))

    def finish(block: int, rows: list[Row]) -> Iterator[str]:
        text = rendering.rows(rows) if rows else ""
        if cacheable and whole(block):
            cache.put(generation, (rendering.name, block), text)  # type: ignore[arg-type]
        yield from emit(text)

    if query.first is None or query.last is None:
        return
    # Only the days between the first and last stored half hours: a range of
    # thousands of years costs no more than the data it holds.
    for block in range(query.first // BLOCK_SECONDS, query.last // BLOCK_SECONDS + 1):
        cached = (
            cache.get(generation, (rendering.name, block))  # type: ignore[arg-type]
            if cacheable and whole(block)
            else None
        )
        if cached is None:
            pending.append(block)
            continue
        if pending:
            yield from read(pending)
            pending = []
        yield from emit(cached)
    if pending:
        yield from read(pending)


def render_body(time_range: TimeRange, query: RangeQuery, rendering: Rendering, cache: BlockCache) -> Iterator[str]:
    """The whole body in chunks of about CHUNK_CHARACTERS."""
    chunk = [rendering.head(time_range, query.count)]
    size = len(chunk[0])
    for piece in render_rows(query, rendering, cache):
        chunk.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARACTERS:
            yield "".join(chunk)
            chunk, size = [], 0
    chunk.append(rendering.tail)
    yield "".join(chunk)
