"""The service's refresh from RTE, in the background of the app's lifespan: in the one server
process (of WORKERS) that holds the refresh lock, once after start-up or every period."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path

from consumption.services.refresh import FetchReport

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 10.0
LOCK_RETRY_SECONDS = 60.0

RefreshOnce = Callable[[], Awaitable[FetchReport]]


def next_delay(interval: int, failures: int) -> float:
    """The period after a success; after failures, 10 s, 20 s, 40 s … but never more than the
    period. With no period (`once`), there is no next time, even after a failure."""
    if not interval:
        return math.inf
    if failures == 0:
        return interval
    # The exponent is capped: 2.0 ** 1024 overflows, after 25 h of failures at a 90 s period.
    return min(interval, FIRST_RETRY_SECONDS * 2.0 ** min(failures - 1, 30))


async def run_schedule(lock_path: Path, interval: int, refresh_once: RefreshOnce) -> None:
    """Refresh now, then every `interval` seconds (never again when it is 0: `once`), in the
    one process that holds `lock_path` (beside the database) for as long as it runs.

    With a period, the other processes wait to take over should it exit; with `once`, they
    never refresh. One refresh at a time, and this never raises: the server keeps serving
    what is stored, and `/health` says how the last refresh went.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)  # the refresh may create the database
    with lock_path.open("a") as lock:
        while True:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            if not interval:
                return
            await asyncio.sleep(min(interval, LOCK_RETRY_SECONDS))
        log.info("refreshing from RTE %s", f"every {interval} s" if interval else "once")
        failures = 0
        while True:
            try:
                ok = (await refresh_once()).ok  # a failed one has said why, in one line
            except Exception:
                log.exception("refresh failed; serving what is stored")
                ok = False
            failures = 0 if ok else failures + 1
            delay = next_delay(interval, failures)
            if failures and interval:
                log.info("next refresh attempt in %.0f s (failure %d in a row)", delay, failures)
            await asyncio.sleep(delay)  # with `once`, until the server stops: the lock stays held
