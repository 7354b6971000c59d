"""The refresh service on MemoryStore, RTE played by httpx.MockTransport: what each answer
from RTE does to the store, the archive log and DATA_DIR."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from consumption.domain import Archive, ArchiveRecord, Outcome, RefreshRecord, Store
from consumption.eco2mix.download import RteClient
from consumption.eco2mix.names import REAL_TIME, definitive
from consumption.services.refresh import FetchReport, fetch_archives
from tests.eco2mix_files import days, eco2mix_lines, expected_points
from tests.memory_store import MemoryArchiveLog, MemoryStore
from tests.rte_archives import rte_zip

BASE = "https://rte.test"
PATH = "/download/eco2mix/"
JANUARY = days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))
Handler = Callable[[httpx.Request], httpx.Response]


def fetch(store: MemoryStore, archives: list[Archive], data_dir: Path, handler: Handler) -> FetchReport:
    async def run() -> FetchReport:
        async with RteClient(BASE, timeout=1.0, transport=httpx.MockTransport(handler)) as rte:
            return await fetch_archives(lambda: store, rte, lambda _: archives, data_dir)

    return asyncio.run(run())


def body(data: bytes, **headers: str) -> httpx.Response:
    """A 200 whose body streams, as a server's does (`content=` would arrive already read)."""
    return httpx.Response(200, stream=httpx.ByteStream(data), headers=headers)


def outcomes(report: FetchReport) -> dict[str, Outcome]:
    return {d.archive.name: d.outcome for d in report.downloads}


def stored(store: MemoryStore) -> dict[int, int]:
    return {p.timestamp: p.consumption_mw for p in store.points.between(0, 2**40)}


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def test_an_archive_is_imported_then_a_304_changes_nothing(store, tmp_path):
    archive = rte_zip(eco2mix_lines(JANUARY))
    asked: list[httpx.Request] = []

    def rte(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return body(archive, ETag='"v1"')

    first = fetch(store, [REAL_TIME], tmp_path, rte)
    assert outcomes(first) == {REAL_TIME.name: Outcome.DOWNLOADED} and first.ok
    assert stored(store) == expected_points(JANUARY)
    assert (tmp_path / REAL_TIME.name).read_bytes() == archive
    record = store.archives.get(REAL_TIME.name)
    assert record is not None and record.etag == '"v1"'

    second = fetch(store, [REAL_TIME], tmp_path, rte)
    assert outcomes(second) == {REAL_TIME.name: Outcome.UNCHANGED} and second.ok
    assert asked[-1].headers["If-None-Match"] == '"v1"'
    assert stored(store) == expected_points(JANUARY)
    assert sorted(p.name for p in tmp_path.iterdir()) == [REAL_TIME.name]  # no temporary file left


def test_a_404_is_not_published_for_a_year_and_a_failure_for_the_current_archives(store, tmp_path):
    report = fetch(store, [definitive(2024), REAL_TIME], tmp_path, lambda request: httpx.Response(404))
    assert outcomes(report) == {definitive(2024).name: Outcome.NOT_PUBLISHED, REAL_TIME.name: Outcome.FAILED}
    assert "HTTP 404" in report.describe() and not report.ok
    last = store.archives.last_refresh()
    assert last is not None and not last.ok and "HTTP 404" in last.report
    assert stored(store) == {}


def test_a_redirect_within_rte_is_followed_and_one_elsewhere_refused(store, tmp_path):
    archive = rte_zip(eco2mix_lines(JANUARY))

    def rte(request: httpx.Request) -> httpx.Response:
        if request.url.path == PATH + REAL_TIME.name:
            return httpx.Response(302, headers={"Location": "/mirror/TR.zip"})
        if request.url.path == "/mirror/TR.zip":
            return body(archive)
        return httpx.Response(302, headers={"Location": "https://elsewhere.test/archive.zip"})

    report = fetch(store, [REAL_TIME, definitive(2024)], tmp_path, rte)
    assert outcomes(report) == {REAL_TIME.name: Outcome.DOWNLOADED, definitive(2024).name: Outcome.FAILED}
    assert f"redirected away from {BASE}" in report.describe()
    assert stored(store) == expected_points(JANUARY)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 cut short", "not a readable zip archive"),
        (b"<html>maintenance</html>", "not a zip archive: RTE sent an HTML page"),
    ],
)
def test_a_bad_zip_is_refused_and_nothing_is_stored_or_kept(store, tmp_path, data, reason):
    report = fetch(store, [REAL_TIME], tmp_path, lambda request: body(data))
    assert outcomes(report) == {REAL_TIME.name: Outcome.FAILED}
    assert reason in report.describe()
    assert stored(store) == {} and store.archives.get(REAL_TIME.name) is None
    assert list(tmp_path.iterdir()) == []


def test_the_client_downloads_only_inside_its_context(tmp_path):
    rte = RteClient(BASE, timeout=1.0, transport=httpx.MockTransport(lambda request: httpx.Response(404)))
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(rte.download(REAL_TIME, None, tmp_path))


class ThreadsSeen(MemoryArchiveLog):
    """An archive log that notes the thread of each call."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def get(self, name: str) -> ArchiveRecord | None:
        self.threads.add(threading.get_ident())
        return super().get(name)

    def record(self, record: ArchiveRecord) -> None:
        self.threads.add(threading.get_ident())
        super().record(record)

    def record_refresh(self, record: RefreshRecord) -> None:
        self.threads.add(threading.get_ident())
        super().record_refresh(record)


def test_the_database_work_runs_in_one_thread_and_the_downloads_on_the_loop(store, tmp_path):
    """Opening, choosing, the archive log, the import and the record: one worker thread, never
    the event loop's, which a write lock held elsewhere would stall for every request."""
    store.archives = archive_log = ThreadsSeen()
    seen: dict[str, int] = {}

    def rte(request: httpx.Request) -> httpx.Response:
        seen["download"] = threading.get_ident()
        return body(rte_zip(eco2mix_lines(JANUARY)))

    def open_store() -> MemoryStore:
        seen["open"] = threading.get_ident()
        return store

    def choose(opened: Store) -> list[Archive]:
        seen["choose"] = threading.get_ident()
        return [REAL_TIME]

    async def run() -> FetchReport:
        seen["loop"] = threading.get_ident()
        async with RteClient(BASE, timeout=1.0, transport=httpx.MockTransport(rte)) as client:
            return await fetch_archives(open_store, client, choose, tmp_path)

    assert outcomes(asyncio.run(run())) == {REAL_TIME.name: Outcome.DOWNLOADED}
    worker = seen["open"]
    assert archive_log.threads == {worker} and seen["choose"] == worker  # get, record, record_refresh
    assert worker != seen["loop"] == seen["download"]
    assert store.archives.last_refresh() is not None and store.archives.get(REAL_TIME.name) is not None


class SlowToImport(MemoryStore):
    """A store whose import waits for `release`, and that notes when it is closed."""

    def __init__(self) -> None:
        super().__init__()
        self.importing, self.release, self.closed = threading.Event(), threading.Event(), False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.importing.set()
        assert self.release.wait(5)
        with super().transaction():
            yield

    def close(self) -> None:
        self.closed = True


def test_a_run_cancelled_during_the_import_ends_once_the_import_is_recorded_and_the_store_closed(tmp_path):
    """The server stopping while the thread imports: the import is not cut half-way, and
    the run ends only once its thread has recorded it and closed the store."""
    store = SlowToImport()

    async def run() -> None:
        handler = httpx.MockTransport(lambda request: body(rte_zip(eco2mix_lines(JANUARY))))
        async with RteClient(BASE, timeout=1.0, transport=handler) as rte:
            fetching = asyncio.create_task(fetch_archives(lambda: store, rte, lambda _: [REAL_TIME], tmp_path))
            assert await asyncio.to_thread(store.importing.wait, 5)
            fetching.cancel()
            store.release.set()
            with pytest.raises(asyncio.CancelledError):
                await fetching
            assert store.closed and store.archives.last_refresh() is not None

    asyncio.run(run())
    assert stored(store) == expected_points(JANUARY)
    assert sorted(p.name for p in tmp_path.iterdir()) == [REAL_TIME.name]  # kept, no temporary file left
