"""`make bench`'s report: the ratios, the targets met or not, and wrk's figures read right."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_report as br
from bench import parse_wrk

WRK_OUTPUT = """\
Running 6s test @ http://127.0.0.1:18801/consumption?start=2024-06-01&end=2024-06-01
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.78ms  427.77us   7.59ms   92.67%
    Req/Sec     9.09k   226.63     9.47k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.80ms
     90%    1.88ms
     99%    1.20s
  54044 requests in 6.00s, 240.06MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:   9040.85
Transfer/sec:     40.05MB
"""


def test_wrk_figures_are_read_in_milliseconds() -> None:
    assert parse_wrk(WRK_OUTPUT) == br.Load(requests_per_second=9040.85, p50_ms=0.85, p99_ms=1200.0, timeouts=3)


def test_a_run_with_errors_or_no_answer_stops_the_benchmark() -> None:
    with pytest.raises(SystemExit, match="errors under load"):
        parse_wrk(WRK_OUTPUT.replace("Requests/sec", "  Non-2xx or 3xx responses: 12\nRequests/sec"))
    with pytest.raises(SystemExit, match="no request completed"):
        parse_wrk(WRK_OUTPUT.replace("54044 requests", "0 requests"))


def load(rps: float, p50: float) -> br.Load:
    return br.Load(requests_per_second=rps, p50_ms=p50, p99_ms=p50 * 3)


def report(*, today: bool) -> br.Report:
    new = br.Server(
        "this project",
        loads={
            "1 day": load(5000, 3.0),
            "1 year": load(240, 60.0),
            "whole history": load(1.6, 620),
            "daily buckets, whole history": load(40, 25.0),
        },
        memory=br.Memory(before_mb=50, after_mb=81, after_load_mb=90, peak_mb=95, processes=1),
        whole_history=(0.4, 22.6),
        startup_seconds=0.8,
        one_day_while_streaming=0.3,
        one_day_while_heads_trickle=1.2,
        imported=br.Import(wall_seconds=1.6, one_day_seconds=0.2),
    )
    servers = {br.NEW: new}
    if today:
        servers[br.TODAY] = br.Server("today (37c7551)", loads={"1 day": load(2500, 6.0), "1 year": load(200, 120.0)})
    servers[br.BARE] = br.Server("bare route", loads={"1 day": load(7200, 2.0), "1 year": load(100, 150.0)})
    servers[br.DATASETTE] = br.Server("datasette 0.65.5", loads={"1 day": load(1000, 15.0), "1 year": load(20, 700.0)})
    return br.Report(
        servers=servers,
        rows={"1 day": 48, "1 week": 336, "1 year": 17_566, "whole history": 245_444},
        executemany_seconds=0.4,
        half_hours=245_444,
        aggregates=[br.AggregateResult(br.AGGREGATES[0], buckets=5114, sql_ms=10.0)],
        aggregates_supported=True,
        context=[("date", "2026-11-28 03:20 UTC")],
        ten_years=(br.Import(wall_seconds=1.2, one_day_seconds=0.2), br.Import(wall_seconds=1.7, one_day_seconds=0.2)),
    )


def test_each_target_is_its_ratio_marked_met_or_not() -> None:
    marks = {t.name: (t.measured, t.met) for t in br.targets(report(today=True))}
    assert marks == {
        "one day: requests/s vs datasette": ("5.00×", True),  # exactly the goal is met
        "one day: requests/s vs the bare route": ("0.69×", False),
        "one year: requests/s vs datasette": ("12.00×", True),
        "one year: p50 vs today's": ("0.50×", True),
        "whole history streamed: server RSS growth": ("+31.0 MB", False),
        "import of 14 full-width files vs bare executemany": ("3.50×", True),  # (1.6 - 0.2) / 0.4
        "ten years: one ODRÉ CSV export vs ten RTE annual files (import)": ("1.50×", True),  # (1.7 - 0.2) / (1.2 - 0.2)
        "start-up on the 14-year database to the first answer": ("0.80 s", True),
        "one day while 20 whole-history streams are read": ("0.30 s", True),
        "one day while 1,100 request heads trickle in": ("1.20 s", False),
    }


def test_without_compare_the_comparison_with_today_is_not_measured() -> None:
    page = br.render(report(today=False))
    assert "| one year: p50 vs today's | ≤ 0.5× | not measured | – |" in page
    assert "today" not in page.split("## Requests")[1].split("## How to read it")[0]


def test_the_page_puts_todays_figures_beside_the_new_ones() -> None:
    page = br.render(report(today=True))
    assert "| one day: requests/s vs the bare route | ≥ 0.7× | 0.69× | **not met** |" in page
    assert (
        "| query | half hours | this project | today (37c7551) | bare route | datasette 0.65.5 "
        "| new ÷ datasette | new ÷ bare | p50 new ÷ today |"
    ) in page
    assert (
        "| 1 day | 48 | 5,000 req/s, p50 3.0 ms | 2,500 req/s, p50 6.0 ms | 7,200 req/s, p50 2.0 ms "
        "| 1,000 req/s, p50 15.0 ms | 5.00× | 0.69× | 0.50× |"
    ) in page
    assert "| whole history (1 connection) | 245,444 | 1.6 req/s, p50 620 ms | – | – | – | – | – | – |" in page
    assert "| daily buckets, whole history | 5,114 | 10.0 ms | 40 req/s, p50 25.0 ms | 2.50× | – | – |" in page
    assert "| server RSS before → after that response (growth) | 50 → 81 MB (+31.0 MB) | – |" in page
    assert "| one day while 20 clients read the whole history | 0.30 s | – |" in page
    assert "| one day while 1,100 request heads trickle in | 1.20 s | – |" in page
    assert "- date: 2026-11-28 03:20 UTC" in page
