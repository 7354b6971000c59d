"""The periodic refresh's back-off."""

from __future__ import annotations

from consumption.services.schedule import next_delay


def test_backoff_after_failures_is_bounded_by_the_period() -> None:
    assert [next_delay(3600, n) for n in range(5)] == [3600, 10, 20, 40, 80]
    assert next_delay(15, 3) == 15


def test_a_long_outage_never_stops_the_schedule() -> None:
    # 1,025 failures in a row (25 h at a 90 s period) once overflowed the back-off.
    assert next_delay(90, 1025) == 90
    assert next_delay(3600, 100_000) == 3600
