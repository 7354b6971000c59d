"""The service's refresh from RTE, run in the background of the app's lifespan: once after
start-up, or periodically in the one process of several that holds the refresh lock."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from consumption.services.refresh import FetchReport

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 10.0
LOCK_RETRY_SECONDS = 60.0

RefreshOnce = Callable[[], Awaitable[FetchReport]]


def next_delay(interval: float, failures: int) -> float:
    """The period after a success; after failures, 10 s, 20 s, 40 s … but never more than the period."""
    if failures == 0:
        return interval
    # The exponent is capped: 2.0 ** 1024 overflows, after 25 h of failures at a 90 s period.
    return min(interval, FIRST_RETRY_SECONDS * 2.0 ** min(failures - 1, 30))


async def refresh_periodically(interval: int, refresh_once: RefreshOnce) -> None:
    """Refresh now, then every `interval` seconds; one at a time, and never raise.

    The downloads share the server's event loop and its import runs in a thread
    (`refresh.fetch_archives`), so queries keep being answered; the import is one
    transaction, so they never see it half-done.
    """
    failures = 0
    log.info("refreshing from RTE every %d s", interval)
    while True:
        failures = 0 if await try_refresh(refresh_once) else failures + 1
        delay = next_delay(interval, failures)
        if failures:
            log.info("next refresh attempt in %.0f s (failure %d in a row)", delay, failures)
        await asyncio.sleep(delay)


async def refresh_in_one_process(lock_path: Path, interval: int, refresh_once: RefreshOnce) -> None:
    """The refresh, in the one server process that holds `lock_path` (beside the database),
    with WORKERS > 1: every `interval` seconds, the others waiting to take over should it
    exit; or, with `interval` 0, once, by the first to take the lock, and never by the others."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)  # the refresh may create the database
    with lock_path.open("a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not interval:
                    return
                await asyncio.sleep(min(interval, LOCK_RETRY_SECONDS))
        if interval:
            await refresh_periodically(interval, refresh_once)
            return
        log.info("refreshing from RTE once, in this process of several")
        await try_refresh(refresh_once)
        await asyncio.Event().wait()  # keep the lock until the server stops: no other process refreshes


async def try_refresh(refresh_once: RefreshOnce) -> bool:
    """One refresh from RTE (on its own: REFRESH_INTERVAL=once); whether it succeeded. Never
    raises: the server keeps serving what is stored, and `/health` says how the refresh went."""
    try:
        report = await refresh_once()
    except Exception:
        log.exception("refresh failed; serving what is stored")
        return False
    if not report.ok:
        log.warning("refresh failed, serving what is stored (see /health): %s", report.describe())
    return report.ok
