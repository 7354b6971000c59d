"""What `make bench` measured, the targets, and the Markdown that reports both.

Pure: no timing, no processes, no files. scripts/bench.py fills a `Report`; `render`
turns it into the page written to docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

NEW, TODAY, BARE, DATASETTE = "new", "today", "bare", "datasette"


@dataclass(frozen=True)
class Query:
    """A range of Paris days, as `/consumption?start=first&end=last` asks for it."""

    name: str
    first: str
    last: str
    connections: int = 16


ONE_DAY = Query("1 day", "2024-06-01", "2024-06-01")
ONE_WEEK = Query("1 week", "2024-06-03", "2024-06-09")
ONE_YEAR = Query("1 year", "2024-01-01", "2024-12-31")
# One connection: a response takes about a second, so 16 of them queued on one core
# would each wait longer than a run lasts, and wrk would count almost none.
WHOLE_HISTORY = Query("whole history", "2012-01-01", "2025-12-31", connections=1)
QUERIES = (ONE_DAY, ONE_WEEK, ONE_YEAR, WHOLE_HISTORY)


@dataclass(frozen=True)
class Aggregate:
    """Buckets over the whole history: `/consumption?…&interval=…`, and the SQL equivalent.

    Loaded with one connection, so that p50 is the time of one request, beside the
    time of one SQL query.
    """

    name: str
    interval: str
    sql_bucket: str  # the SQLite expression of a row's bucket, on the Paris clock (TZ=Europe/Paris)
    connections: int = 1


AGGREGATES = (
    Aggregate("daily buckets, whole history", "day", "date(timestamp, 'unixepoch', 'localtime')"),
    Aggregate("monthly buckets, whole history", "month", "strftime('%Y-%m', timestamp, 'unixepoch', 'localtime')"),
)


@dataclass(frozen=True)
class Load:
    """wrk's figures for one URL: the median of the runs."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    timeouts: int = 0


@dataclass(frozen=True)
class Memory:
    """Resident memory of a server (all its processes), MB."""

    before_mb: float  # after the shorter ranges' loads, before the whole history
    after_mb: float  # after one whole-history response, read to its end
    after_load_mb: float | None  # after the whole-history load (16 connections)
    peak_mb: float
    processes: int

    @property
    def growth_mb(self) -> float:
        return self.after_mb - self.before_mb


@dataclass(frozen=True)
class Import:
    """`consumption import` of the 14 files into a new file, and of a one-day file."""

    wall_seconds: float
    one_day_seconds: float  # interpreter, modules, database: the same command's fixed cost

    @property
    def net_seconds(self) -> float:
        return self.wall_seconds - self.one_day_seconds


@dataclass
class Server:
    """Everything measured of one server."""

    label: str
    loads: dict[str, Load] = field(default_factory=dict)  # by query or aggregate name
    memory: Memory | None = None
    whole_history: tuple[float, float] | None = None  # one response: seconds, MB
    startup_seconds: float | None = None
    # a one-day answer while 20 clients read the whole history, and while 1,100 request heads trickle in
    one_day_while_streaming: float | None = None
    one_day_while_heads_trickle: float | None = None
    imported: Import | None = None
    note: str = ""


@dataclass(frozen=True)
class AggregateResult:
    aggregate: Aggregate
    buckets: int
    sql_ms: float  # median of the SQL GROUP BY, read to the last row


@dataclass
class Report:
    servers: dict[str, Server]
    rows: dict[str, int]  # half hours in each query
    executemany_seconds: float
    half_hours: int
    aggregates: list[AggregateResult]
    aggregates_supported: bool
    context: list[tuple[str, str]]  # what, where, when, with which versions: (name, value)
    title_note: str = ""
    # The same ten years imported as ten RTE annual files, then as one ODRÉ CSV export.
    ten_years: tuple[Import, Import] | None = None


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run


def _load(report: Report, server: str, name: str) -> Load | None:
    figures = report.servers.get(server)
    return figures.loads.get(name) if figures else None


def _throughput_ratio(report: Report, other: str, name: str) -> float | None:
    new, theirs = _load(report, NEW, name), _load(report, other, name)
    if new is None or theirs is None or not theirs.requests_per_second:
        return None
    return new.requests_per_second / theirs.requests_per_second


def _p50_ratio(report: Report, name: str) -> float | None:
    new, today = _load(report, NEW, name), _load(report, TODAY, name)
    if new is None or today is None or not today.p50_ms:
        return None
    return new.p50_ms / today.p50_ms


def _target(
    name: str, goal: str, value: float | None, fmt: Callable[[float], str], ok: Callable[[float], bool]
) -> Target:
    if value is None:
        return Target(name, goal, "not measured", None)
    return Target(name, goal, fmt(value), ok(value))


def _times(value: float) -> str:
    return f"{value:.2f}×"


def targets(report: Report) -> list[Target]:
    """The targets, each as measured in this run."""
    new = report.servers.get(NEW)
    memory = new.memory if new else None
    imported = new.imported if new else None
    import_ratio = (
        imported.net_seconds / report.executemany_seconds if imported and report.executemany_seconds else None
    )
    odre_ratio = report.ten_years[1].net_seconds / report.ten_years[0].net_seconds if report.ten_years else None
    return [
        _target(
            "one day: requests/s vs datasette",
            "≥ 5×",
            _throughput_ratio(report, DATASETTE, ONE_DAY.name),
            _times,
            lambda r: r >= 5,
        ),
        _target(
            "one day: requests/s vs the bare route",
            "≥ 0.7×",
            _throughput_ratio(report, BARE, ONE_DAY.name),
            _times,
            lambda r: r >= 0.7,
        ),
        _target(
            "one year: requests/s vs datasette",
            "≥ 12×",
            _throughput_ratio(report, DATASETTE, ONE_YEAR.name),
            _times,
            lambda r: r >= 12,
        ),
        _target("one year: p50 vs today's", "≤ 0.5×", _p50_ratio(report, ONE_YEAR.name), _times, lambda r: r <= 0.5),
        _target(
            "whole history streamed: server RSS growth",
            "< 30 MB",
            memory.growth_mb if memory else None,
            lambda v: f"{v:+.1f} MB",
            lambda v: v < 30,
        ),
        _target("import of 14 full-width files vs bare executemany", "≤ 4×", import_ratio, _times, lambda r: r <= 4),
        _target(
            "ten years: one ODRÉ CSV export vs ten RTE annual files (import)",
            "≤ 1.5×",
            odre_ratio,
            _times,
            lambda r: r <= 1.5,
        ),
        _target(
            "start-up on the 14-year database to the first answer",
            "< 1 s",
            new.startup_seconds if new else None,
            lambda s: f"{s:.2f} s",
            lambda s: s < 1,
        ),
        _target(
            "one day while 20 whole-history streams are read",
            "< 1 s",
            new.one_day_while_streaming if new else None,
            lambda s: f"{s:.2f} s",
            lambda s: s < 1,
        ),
        _target(
            "one day while 1,100 request heads trickle in",
            "< 1 s",
            new.one_day_while_heads_trickle if new else None,
            lambda s: f"{s:.2f} s",
            lambda s: s < 1,
        ),
    ]


def requests(load: Load | None) -> str:
    """`4,859 req/s, p50 3.0 ms` (and the timeouts, if any)."""
    if load is None:
        return "–"
    p50 = f"{load.p50_ms:.1f}" if load.p50_ms < 100 else f"{load.p50_ms:,.0f}"
    timeouts = f", {load.timeouts} timeouts" if load.timeouts else ""
    rps = load.requests_per_second
    shown = f"{rps:,.0f}" if rps >= 10 else f"{rps:.2g}"  # a whole history: 1.6 req/s, not 2
    return f"{shown} req/s, p50 {p50} ms{timeouts}"


def ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    return [_row(header), "|" + "|".join(["---"] + [align] * (len(header) - 1)) + "|", *(_row(r) for r in rows)]


def _present(report: Report) -> list[str]:
    """The servers measured, in the order of the table's columns."""
    return [key for key in (NEW, TODAY, BARE, DATASETTE) if key in report.servers]


def throughput_table(report: Report) -> list[str]:
    servers = _present(report)
    header = ["query", "half hours", *(report.servers[key].label for key in servers)]
    ratios = [(DATASETTE, "new ÷ datasette"), (BARE, "new ÷ bare")]
    header += [title for key, title in ratios if key in report.servers]
    compare = TODAY in report.servers
    if compare:
        header.append("p50 new ÷ today")
    rows = []
    for query in QUERIES:
        name = query.name if query.connections == 16 else f"{query.name} ({query.connections} connection)"
        row = [name, f"{report.rows.get(query.name, 0):,}"]
        row += [requests(report.servers[key].loads.get(query.name)) for key in servers]
        row += [ratio(_throughput_ratio(report, key, query.name)) for key, _ in ratios if key in report.servers]
        if compare:
            row.append(ratio(_p50_ratio(report, query.name)))
        rows.append(row)
    return _table(header, "---:", rows)


def aggregates_table(report: Report) -> list[str]:
    """Each server that answers the aggregate, its time per request beside the SQL's."""
    answering = [key for key in (NEW, TODAY) if key in report.servers]
    header = ["aggregate (1 connection)", "buckets", "SQL GROUP BY (sqlite3)"]
    for key in answering:
        label = report.servers[key].label
        header += [label, f"{label}: p50 ÷ SQL"]
    rows = []
    for result in report.aggregates:
        row = [result.aggregate.name, f"{result.buckets:,}", f"{result.sql_ms:.1f} ms"]
        for key in answering:
            load = report.servers[key].loads.get(result.aggregate.name)
            row += [requests(load), ratio(load.p50_ms / result.sql_ms if load and result.sql_ms else None)]
        rows.append(row)
    return _table(header, "---:", rows)


def _memory(memory: Memory | None) -> tuple[str, str]:
    if memory is None:
        return "–", "–"
    processes = "" if memory.processes == 1 else f", {memory.processes} processes"
    one = f"{memory.before_mb:.0f} → {memory.after_mb:.0f} MB ({memory.growth_mb:+.1f} MB{processes})"
    loaded = "–" if memory.after_load_mb is None else f"{memory.after_load_mb:.0f} MB"
    return one, f"{loaded}, peak {memory.peak_mb:.0f} MB"


def figures_table(report: Report) -> list[str]:
    keys = [key for key in (NEW, TODAY) if key in report.servers]
    servers = [report.servers[key] for key in keys]
    rows: list[list[str]] = []

    def add(name: str, value: Callable[[Server], str]) -> None:
        rows.append([name, *(value(server) for server in servers)])

    add("import of the 14 files: `consumption import`, wall", lambda s: seconds(s.imported and s.imported.wall_seconds))
    add(
        "… the same command on a one-day file (interpreter, modules, database)",
        lambda s: seconds(s.imported and s.imported.one_day_seconds),
    )
    add("import, net of that", lambda s: seconds(s.imported and s.imported.net_seconds))
    add(
        f"bare `executemany` of the same {report.half_hours:,} rows, already parsed",
        lambda s: seconds(report.executemany_seconds),
    )
    add(
        "import (net) ÷ executemany",
        lambda s: ratio(s.imported.net_seconds / report.executemany_seconds if s.imported else None),
    )
    add(
        "whole history, one response read to its end",
        lambda s: "–" if s.whole_history is None else f"{s.whole_history[0]:.2f} s, {s.whole_history[1]:.1f} MB",
    )
    add("server RSS before → after that response (growth)", lambda s: _memory(s.memory)[0])
    add("server RSS after the whole-history load (16 connections)", lambda s: _memory(s.memory)[1])
    add("start-up on the 14-year database to the first one-day answer", lambda s: seconds(s.startup_seconds))
    add("one day while 20 clients read the whole history", lambda s: seconds(s.one_day_while_streaming))
    add("one day while 1,100 request heads trickle in", lambda s: seconds(s.one_day_while_heads_trickle))
    return _table(["measure", *(server.label for server in servers)], "---:", rows)


def targets_table(report: Report) -> list[str]:
    marks = {True: "met", False: "**not met**", None: "–"}
    rows = [[t.name, t.goal, t.measured, marks[t.met]] for t in targets(report)]
    return _table(["target", "goal", "measured", ""], "---:", rows)


def render(report: Report) -> str:
    """The Markdown page: context, then the targets, the requests, the aggregates, the rest."""
    lines = ["# Benchmarks", ""]
    if report.title_note:
        lines += [report.title_note, ""]
    lines += [f"- {name}: {value}" for name, value in report.context]
    lines += ["", "## Targets", "", *targets_table(report)]
    lines += ["", "## Requests", "", *throughput_table(report)]
    notes = [server.note.strip() for server in report.servers.values() if server.note]
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    lines += ["", "## Aggregates", ""]
    if not report.aggregates_supported:
        lines += ["The server does not answer `interval=day` yet: only the SQL is timed.", ""]
    lines += aggregates_table(report)
    lines += ["", "## Import, memory, start-up", "", *figures_table(report), ""]
    lines += ["## Why the service is written as it is", "", *WHY, ""]
    lines += ["## How to read it", "", *READING, ""]
    return "\n".join(lines)


# The measurements behind choices in the code, whose comments give only the reason.
WHY = [
    "- Range queries run on the event loop with sqlite3, not in aiosqlite's thread"
    " (storage/reader.py): on a one-day range, 928 requests/s against 345 with the thread hop.",
    "- A short range's body is built whole and sent as a plain `Response`, and kept in the"
    " response cache (web/response_cache.py): about twice the requests/s of a stream on a one-day range.",
    "- gzip at zlib level 6, not Starlette's 9 (web/middleware.py): a year of JSON (1.6 MB) in"
    " 9 ms and 113 KB, against 69 ms and 103 KB.",
    "- CORS and GZip are entered only by requests that need them (web/middleware.py): the two"
    " layers cost 20 % of the requests/s of a one-day range.",
    "- Rows are written as f-strings from the database's tuples, never through dicts and"
    " `json.dumps` (web/rendering.py).",
    "- A stream reads and renders 250 rows per turn of the event loop (storage/reader.py"
    " `ROWS_PER_FETCH`, web/rendering.py `CHUNK_CHARACTERS`): with 2,000, twenty whole-history"
    " streams kept a one-day request waiting seconds, and 100 abandoned ones held 75 MB more.",
]


READING = [
    "- Written by `make bench` (scripts/bench.py); the page is replaced at each run.",
    "- Ratios are the new figure divided by the other: requests/s for throughput (higher is better),"
    " p50 latency against today's (lower is better).",
    "- With 16 connections on one core, p50 is mostly queueing: about 16 ÷ requests/s. The whole"
    " history and the aggregates use one connection, so their p50 is the time of one request.",
    "- The bare route answers the same JSON document as the service (tests/integration/test_bare_route.py);"
    " datasette answers its own `?sql=` JSON of the same rows, timestamps as integers.",
    "- The import is `consumption import` into a new file, net of the same command on a one-day file;"
    " `executemany` writes the same rows, already parsed, into a new file with the same schema and"
    " journal, in one transaction.",
    "- RSS is the sum over the server's processes (`/proc/PID/status`, VmRSS), before and after one"
    " whole-history response read to its end; then after 16 connections streaming it at once.",
]
