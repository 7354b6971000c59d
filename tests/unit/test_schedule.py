"""The refresh schedule: its back-off, and the one process of several that refreshes."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from consumption.domain import Archive, Download, Outcome
from consumption.services.refresh import FetchReport
from consumption.services.schedule import RefreshOnce, next_delay, run_schedule

FAILED = FetchReport([Download(Archive("tr.zip"), "http://rte.test/tr.zip", Outcome.FAILED, "HTTP 500")])


def test_backoff_after_failures_is_bounded_by_the_period() -> None:
    assert [next_delay(3600, n) for n in range(5)] == [3600, 10, 20, 40, 80]
    assert next_delay(15, 3) == 15


def test_a_long_outage_never_stops_the_schedule() -> None:
    # 1,025 failures in a row (25 h at a 90 s period) once overflowed the back-off.
    assert next_delay(90, 1025) == 90
    assert next_delay(3600, 100_000) == 3600


def test_once_has_no_next_time_even_after_a_failure() -> None:
    assert next_delay(0, 0) == math.inf
    assert next_delay(0, 1) == math.inf


def test_once_refreshes_once_in_the_process_that_takes_the_lock_and_keeps_it(tmp_path: Path) -> None:
    lock = tmp_path / "db" / "consumption.sqlite3.refresh-lock"
    reports = [FAILED]

    async def refresh_once() -> FetchReport:
        return reports.pop()

    async def two_processes() -> bool:
        first = asyncio.create_task(run_schedule(lock, 0, refresh_once))
        while reports:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(run_schedule(lock, 0, refresh_once), 5)  # the other returns without refreshing
        await asyncio.sleep(0.05)
        holding = not first.done()
        first.cancel()
        return holding

    assert asyncio.run(two_processes())  # a failed `once` is not tried again, and raises nothing


def test_with_a_period_the_other_process_waits_for_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "consumption.sqlite3.refresh-lock"
    refreshed: list[str] = []

    def refresher(name: str) -> RefreshOnce:
        async def refresh_once() -> FetchReport:
            refreshed.append(name)
            return FetchReport()

        return refresh_once

    async def two_processes() -> None:
        first = asyncio.create_task(run_schedule(lock, 3600, refresher("first")))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(run_schedule(lock, 3600, refresher("second")))
        await asyncio.sleep(0.05)
        assert not second.done()  # waiting to take over
        for task in (first, second):
            task.cancel()
        await asyncio.gather(first, second, return_exceptions=True)

    asyncio.run(two_processes())
    assert refreshed == ["first"]
