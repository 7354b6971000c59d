"""The service's periodic refresh from RTE, run in the background of the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from consumption.services.refresh import FetchReport

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 10.0


def next_delay(interval: float, failures: int) -> float:
    """The period after a success; after failures, 10 s, 20 s, 40 s … but never more than the period."""
    if failures == 0:
        return interval
    # The exponent is capped: 2.0 ** 1024 overflows, after 25 h of failures at a 90 s period.
    return min(interval, FIRST_RETRY_SECONDS * 2.0 ** min(failures - 1, 30))


async def refresh_periodically(interval: int, refresh_once: Callable[[], FetchReport]) -> None:
    """Refresh now, then every `interval` seconds; one at a time, and never raise.

    The refresh runs in a thread, so queries keep being answered; its import is one
    transaction, so they never see it half-done.
    """
    failures = 0
    log.info("refreshing from RTE every %d s", interval)
    while True:
        try:
            report = await asyncio.to_thread(refresh_once)
            ok = report.ok
            if not ok:
                log.warning("refresh failed: %s", report.describe())
        except Exception:
            log.exception("refresh failed")
            ok = False
        failures = 0 if ok else failures + 1
        delay = next_delay(interval, failures)
        if failures:
            log.info("next refresh attempt in %.0f s (failure %d in a row)", delay, failures)
        await asyncio.sleep(delay)
