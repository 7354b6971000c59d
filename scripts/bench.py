"""Benchmark the service, in one run on one database, against a bare route and datasette.

    make bench                                   # or: .venv/bin/python scripts/bench.py
    make bench BENCH_ARGS="--compare 37c7551"    # today's figures beside the new ones
    .venv/bin/python scripts/bench.py --quick    # 1 run of 2 s per cell, to try it

One run, on the 2012-2025 history written as 14 annual files in RTE's full-width
layout (scripts/bench_history.py) and imported with `consumption import`:

1. the import (median of 3, each into a new file) beside a bare `executemany` of
   the same rows already parsed, and the same command on a one-day file (its
   fixed cost: interpreter, modules, database); then the last ten years imported
   as ten annual files and as one ODRÉ CSV export (scripts/bench_history.py);
2. each server alone on core 0, wrk on core 1 (`wrk -t1 -c16`, median of 3 runs
   of 6 s): `consumption serve` as `make run` runs it (default settings, one
   worker), the bare route (scripts/bare_route.py), datasette pinned to one
   version (installed once in a venv under ~/.cache/consumption-bench), and with
   --compare REF the project at REF ("today", from a temporary git worktree and
   its own cached venv, on the database its own import wrote from the same files);
   for the 1-day, 1-week and 1-year ranges, then with one connection (a response
   takes up to a second) the whole history and the aggregates (`interval=day|month`)
   when the server answers them, beside the same `GROUP BY` in SQL timed with
   sqlite3 on the same file;
3. the server's RSS before and after one whole-history response, and its
   start-up on the existing database to the first one-day answer;
4. the one-day answer (median of 5) while 20 clients read the whole history as fast
   as they can, and while 1,100 clients hold request heads that trickle in: what the
   slow-client tests check in behaviour only (each request is answered), in seconds.

It prints a Markdown table with the ratios and the targets, and writes it
to docs/benchmarks.md (--output) with the machine, versions, date and command.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_history  # noqa: E402
import bench_report as br  # noqa: E402
from bare_route import paris_day_bounds  # noqa: E402

BIN = Path(sys.executable).parent  # the project's venv: `make bench` runs .venv/bin/python
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "consumption-bench"
PYTHON_TAG = f"py{sys.version_info.major}.{sys.version_info.minor}"
DATASETTE_VERSION = "0.65.5"
FIRST_YEAR, LAST_YEAR = 2012, 2025
SERVER_CORE, LOAD_CORE = 0, 1
CONNECTIONS = 16
ONE_DAY_FILE = dt.date(2024, 6, 1)
DATASETTE_SQL = (
    "select timestamp, consumption_mw, nature from consumption"
    " where timestamp between :start and :end order by timestamp"
)
STREAMS, SLOW_HEADS, LATENCY_REPEATS = 20, 1100, 5
READERS = Path(__file__).with_name("whole_history_readers.py")
EXECUTEMANY = "INSERT INTO consumption (timestamp, consumption_mw, nature) VALUES (?, ?, ?)"


@dataclass(frozen=True)
class Plan:
    runs: int  # wrk runs per cell; the median is kept
    duration: int  # seconds per wrk run
    repeats: int  # imports and start-ups; the median is kept
    sql_repeats: int
    quick: bool


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Processes and cores ---------------------------------------------------------


def pinned(core: int, command: list[str]) -> list[str]:
    """`command` on one core, when the machine has two and taskset is here."""
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        return command
    return ["taskset", "-c", str(core), *command]


@contextlib.contextmanager
def on_core(core: int) -> Iterator[None]:
    """This process on `core` for a while: for the timings it makes itself."""
    if (os.cpu_count() or 1) < 2:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def fetch(url: str, timeout: float = 120) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def run(
    command: list[str] | list[Path] | list[str | Path], check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a command; when it fails and `check`, stop with its output."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if check and result.returncode:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(map(str, command))}\n{result.stdout}{result.stderr}")
    return result


class Server:
    """A server process started by the benchmark, in its own process group."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, log: Path) -> None:
        self.log = log
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            pinned(SERVER_CORE, command),
            env=env,
            cwd=cwd,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for(self, url: str, seconds: float = 120) -> float:
        """Seconds from the start to the first 200 from `url`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        response.read()
                        return time.perf_counter() - self.started
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.005)
        raise SystemExit(f"{url} did not answer 200 within {seconds} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """End the server and its children (uvicorn workers): its own process group."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def memory(self) -> tuple[float, float, int]:
        """Resident and peak resident MB, summed over the server and its children; how many processes."""
        pids, rss, peak = [self.process.pid], 0.0, 0.0
        for pid in pids:  # grows as children are found
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(child) for child in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
            rss += _status_kb(status, "VmRSS") / 1024
            peak += _status_kb(status, "VmHWM") / 1024
        return rss, peak, len(pids)


def _status_kb(status: str, name: str) -> int:
    match = re.search(rf"^{name}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path, name: str, ready: str) -> Iterator[Server]:
    server = Server(command, env, cwd, cwd / f"{name}.log")
    try:
        server.wait_for(ready)
        yield server
    finally:
        server.stop()


# Load ------------------------------------------------------------------------


def ensure_wrk() -> str:
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing wrk from Debian…")
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True)
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return wrk


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[match.group(2)]


def parse_wrk(output: str) -> br.Load:
    """Requests/s, p50, p99 and timeouts from `wrk --latency`'s report."""

    def find(pattern: str) -> str:
        match = re.search(pattern, output)
        if not match:
            raise ValueError(f"no {pattern!r} in wrk's output:\n{output}")
        return match.group(1)

    if re.search(r"Non-2xx or 3xx responses", output):
        raise SystemExit(f"the server answered errors under load:\n{output}")
    if int(find(r"(\d+) requests in")) == 0:
        raise SystemExit(f"no request completed during the run:\n{output}")
    timeouts = re.search(r"timeout (\d+)", output)
    return br.Load(
        requests_per_second=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_milliseconds(find(r"\s50%\s+(\S+)")),
        p99_ms=_milliseconds(find(r"\s99%\s+(\S+)")),
        timeouts=int(timeouts.group(1)) if timeouts else 0,
    )


def wrk_output(wrk: str, url: str, connections: int, seconds: int) -> str:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s", "--latency", url]
    return run(pinned(LOAD_CORE, command)).stdout


def load(wrk: str, url: str, plan: Plan, connections: int = CONNECTIONS) -> br.Load:
    """The median of `plan.runs` wrk runs: each figure's median on its own."""
    loads = []
    for _ in range(plan.runs):
        loads.append(parse_wrk(wrk_output(wrk, url, connections, plan.duration)))
    return br.Load(
        requests_per_second=statistics.median(x.requests_per_second for x in loads),
        p50_ms=statistics.median(x.p50_ms for x in loads),
        p99_ms=statistics.median(x.p99_ms for x in loads),
        timeouts=sum(x.timeouts for x in loads),
    )


def items(body: bytes) -> int:
    """How many rows or buckets a JSON answer holds: a bare array (datasette) or `data`."""
    document = json.loads(body)
    return len(document if isinstance(document, list) else document["data"])


def check(url: str, expected: int, times: int = 3) -> None:
    """Warm the server up and make sure it answers what the others answer."""
    for _ in range(times):
        status, body = fetch(url)
        if status != 200:
            raise SystemExit(f"{url}: HTTP {status}: {body[:500]!r}")
        if items(body) != expected:
            raise SystemExit(f"{url}: {items(body)} items, expected {expected}")


# The servers -----------------------------------------------------------------


def utc_bounds(query: br.Query) -> tuple[int, int]:
    start, end = paris_day_bounds(query.first, query.last)
    return int(start.timestamp()), int(end.timestamp())


def consumption_url(base: str, query: br.Query, **extra: str) -> str:
    return f"{base}/consumption?" + urllib.parse.urlencode({"start": query.first, "end": query.last, **extra})


def datasette_url(base: str, database: Path, query: br.Query) -> str | None:
    if query is br.WHOLE_HISTORY:
        return None  # its ?sql= JSON holds every row in memory, under a row cap
    start, end = utc_bounds(query)
    parameters = {"sql": DATASETTE_SQL, "start": start, "end": end, "_shape": "array"}
    return f"{base}/{database.stem}.json?" + urllib.parse.urlencode(parameters)


def project_env(database: Path, files: Path, port: int) -> dict[str, str]:
    """The environment of `consumption serve`: the defaults, as `make run` has them, for
    every setting but where the data are, the port, one worker (one pinned core), and
    no refresh from RTE (none periodic; any other fails at once on a closed local port)."""
    example = ROOT / ".env.example"
    settings = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example.read_text(), re.MULTILINE))
    env = {name: value for name, value in os.environ.items() if name not in settings}
    env.update(
        DATABASE_PATH=str(database),
        DATA_DIR=str(files),
        HOST="127.0.0.1",
        PORT=str(port),
        REFRESH_INTERVAL="0",
        RTE_BASE_URL="http://127.0.0.1:9",
        WORKERS="1",
    )
    return env


def measure_ranges(
    server: br.Server,
    process: Server,
    url_for: Callable[[br.Query], str | None],
    expected: dict[str, int],
    wrk: str,
    plan: Plan,
    *,
    memory: bool,
) -> None:
    for query in br.QUERIES:
        url = url_for(query)
        if url is None:
            continue
        say(f"  {server.label}: {query.name}")
        if query is br.WHOLE_HISTORY:
            before, _, _ = process.memory()
            started = time.perf_counter()
            status, body = fetch(url)
            elapsed = time.perf_counter() - started
            if status != 200 or items(body) != expected[query.name]:
                raise SystemExit(f"{url}: HTTP {status}, expected {expected[query.name]} rows")
            after, _, _ = process.memory()
            server.whole_history = (elapsed, len(body) / 1e6)
            del body
        else:
            check(url, expected[query.name])
        server.loads[query.name] = load(wrk, url, plan, query.connections)
        if query is br.WHOLE_HISTORY and memory:
            wrk_output(wrk, url, CONNECTIONS, plan.duration)  # for the memory of 16 streams at once
            after_load, peak, processes = process.memory()
            server.memory = br.Memory(before, after, after_load, peak, processes)


def measure_aggregates(
    server: br.Server, base: str, aggregates: list[br.AggregateResult], wrk: str, plan: Plan
) -> bool:
    """Load each aggregate when the server answers `interval=day`; whether it does."""
    status, body = fetch(consumption_url(base, br.WHOLE_HISTORY, interval="day"))
    if status != 200:
        say(f"  {server.label}: interval=day → HTTP {status}: no aggregates")
        return False
    for result in aggregates:
        url = consumption_url(base, br.WHOLE_HISTORY, interval=result.aggregate.interval)
        status, body = fetch(url)
        if status != 200:
            server.note += f"{server.label}, {result.aggregate.name}: HTTP {status}. "
            continue
        if items(body) != result.buckets:
            server.note += f"{server.label}, {result.aggregate.name}: {items(body)} buckets, SQL {result.buckets}. "
        say(f"  {server.label}: {result.aggregate.name}")
        server.loads[result.aggregate.name] = load(wrk, url, plan, result.aggregate.connections)
    return True


def one_day_answer_seconds(base: str, expected: int) -> float:
    """Median seconds of a one-day answer, each checked."""
    times = []
    for _ in range(LATENCY_REPEATS):
        started = time.perf_counter()
        status, body = fetch(consumption_url(base, br.ONE_DAY))
        times.append(time.perf_counter() - started)
        if status != 200 or items(body) != expected:
            raise SystemExit(f"one day: HTTP {status}, expected {expected} rows")
    return statistics.median(times)


def one_day_while_streaming(base: str, port: int, expected: int) -> float | None:
    """The one-day answer while STREAMS clients read the whole history; None when the
    streams ended before it was measured."""
    path = urllib.parse.urlsplit(consumption_url(base, br.WHOLE_HISTORY))
    target = f"{path.path}?{path.query}"
    command = [sys.executable, str(READERS), str(port), str(STREAMS), target]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as readers:  # closes the pipe
        try:
            assert readers.stdout is not None
            if readers.stdout.readline() != "sent\n":
                raise SystemExit("the whole-history readers did not start")
            time.sleep(0.2)
            seconds = one_day_answer_seconds(base, expected)
            return seconds if readers.poll() is None else None
        finally:
            readers.kill()


def one_day_while_heads_trickle(base: str, port: int, expected: int) -> float | None:
    """The one-day answer while SLOW_HEADS clients send request heads a byte at a time;
    None when this process may not open that many sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < SLOW_HEADS + 100:
        return None
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    slow: list[socket.socket] = []
    try:
        for _ in range(SLOW_HEADS):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
            slow.append(sock)
        time.sleep(0.5)
        for sock in slow:
            sock.send(b"y")  # still coming
        return one_day_answer_seconds(base, expected)
    finally:
        for sock in slow:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def startup(bin_dir: Path, env: dict[str, str], folder: Path, base: str, repeats: int) -> float:
    """Median seconds from spawning `consumption serve` to its first 200 on a one-day query."""
    times = []
    for _ in range(repeats):
        server = Server([str(bin_dir / "consumption"), "serve"], env, folder, folder / "startup.log")
        try:
            times.append(server.wait_for(consumption_url(base, br.ONE_DAY), 60))
        finally:
            server.stop()
    return statistics.median(times)


def measure_project(
    server: br.Server,
    bin_dir: Path,
    database: Path,
    files: Path,
    folder: Path,
    expected: dict[str, int],
    aggregates: list[br.AggregateResult],
    wrk: str,
    plan: Plan,
) -> bool:
    """Start-up, ranges, memory and aggregates of `consumption serve` from `bin_dir`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = project_env(database, files, port)
    say(f"  {server.label}: start-up")
    server.startup_seconds = startup(bin_dir, env, folder, base, plan.repeats)
    command = [str(bin_dir / "consumption"), "serve"]
    log = "serve-" + re.sub(r"\W+", "-", server.label).strip("-")
    with serving(command, env, folder, log, consumption_url(base, br.ONE_DAY)) as process:
        measure_ranges(server, process, lambda q: consumption_url(base, q), expected, wrk, plan, memory=True)
        say(f"  {server.label}: one day while {STREAMS} streams are read, while {SLOW_HEADS:,} heads trickle")
        server.one_day_while_streaming = one_day_while_streaming(base, port, expected[br.ONE_DAY.name])
        server.one_day_while_heads_trickle = one_day_while_heads_trickle(base, port, expected[br.ONE_DAY.name])
        return measure_aggregates(server, base, aggregates, wrk, plan)


def measure_bare(
    server: br.Server, database: Path, folder: Path, expected: dict[str, int], wrk: str, plan: Plan
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(ROOT / "scripts" / "bare_route.py"), str(database), "--port", str(port)]
    with serving(command, dict(os.environ), folder, "bare", consumption_url(base, br.ONE_DAY)) as process:
        measure_ranges(server, process, lambda q: consumption_url(base, q), expected, wrk, plan, memory=False)


def datasette_bin() -> Path:
    """datasette at its pinned version, in a venv of its own kept between runs."""
    venv = CACHE / f"datasette-{DATASETTE_VERSION}-{PYTHON_TAG}"
    if not (venv / ".installed").exists():
        say(f"installing datasette {DATASETTE_VERSION} in {venv}…")
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", f"datasette=={DATASETTE_VERSION}"])
        (venv / ".installed").touch()
    return venv / "bin"


def measure_datasette(
    server: br.Server, bin_dir: Path, database: Path, folder: Path, expected: dict[str, int], wrk: str, plan: Plan
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(bin_dir / "datasette"), "serve", "-i", str(database), "--host", "127.0.0.1", "-p", str(port)]
    command += ["--setting", "max_returned_rows", "20000", "--setting", "sql_time_limit_ms", "60000"]
    with serving(command, dict(os.environ), folder, "datasette", f"{base}/-/versions.json") as process:
        measure_ranges(server, process, lambda q: datasette_url(base, database, q), expected, wrk, plan, memory=False)
    server.note = (
        f"{server.label}: its `?sql=` JSON (`_shape=array`), immutable, row cap 20,000; not the whole history."
    )


# Today's version (--compare) -------------------------------------------------


def git(*arguments: str) -> str:
    return run(["git", "-C", ROOT, *arguments]).stdout.strip()


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[tuple[str, Path]]:
    """`ref` checked out in a temporary git worktree: its commit and its folder."""
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    folder = Path(tempfile.mkdtemp(prefix="consumption-today-"))
    source = folder / "source"
    git("worktree", "add", "--detach", str(source), commit)
    try:
        yield commit, source
    finally:
        git("worktree", "remove", "--force", str(source))
        shutil.rmtree(folder, ignore_errors=True)


def install_today(commit: str, source: Path) -> Path:
    """The project at `commit` in a venv of its own, kept between runs; its bin folder.

    With a uv.lock, the versions it pins (as its Makefile installs them); without,
    `pip install` of its pyproject, as its Makefile did then. Not editable: the
    worktree goes at the end of the run, the venv stays.
    """
    venv = CACHE / f"project-{commit[:12]}-{PYTHON_TAG}"
    if not (venv / ".installed").exists():
        say(f"installing {commit[:12]} in {venv}…")
        shutil.rmtree(venv, ignore_errors=True)
        if (source / "uv.lock").exists():
            env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
            sync = [BIN / "uv", "sync", "--frozen", "--no-dev", "--no-editable", "--python", sys.executable]
            run(sync, cwd=source, env=env)
        else:
            run([sys.executable, "-m", "venv", venv])
            run([venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check", source])
        (venv / ".installed").touch()
    return venv / "bin"


# Import and SQL --------------------------------------------------------------


def time_import(bin_dir: Path, files: Path, database: Path) -> float:
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    run(pinned(SERVER_CORE, [str(bin_dir / "consumption"), "import", str(files), "--database", str(database)]))
    return time.perf_counter() - started


def measure_import(bin_dir: Path, files: Path, one_day: Path, database: Path, repeats: int) -> br.Import:
    """Median wall seconds of the import into a new file, of which `database` is the last."""
    scratch = database.with_name(database.stem + "-one-day.sqlite3")
    walls = [time_import(bin_dir, files, database) for _ in range(repeats)]
    fixed = [time_import(bin_dir, one_day, scratch) for _ in range(repeats)]
    return br.Import(statistics.median(walls), statistics.median(fixed))


def measure_ten_years(folder: Path, one_day: Path, repeats: int) -> tuple[br.Import, br.Import]:
    """The last ten years imported as ten RTE annual files, then as one ODRÉ CSV export (~80 MB)."""
    ten, odre = folder / "ten-years", folder / "odre"
    bench_history.write_history(ten, LAST_YEAR - 9, LAST_YEAR)
    bench_history.write_odre_export(odre, LAST_YEAR - 9, LAST_YEAR)
    rte_files = measure_import(BIN, ten, one_day, folder / "ten-years.sqlite3", repeats)
    return rte_files, measure_import(BIN, odre, one_day, folder / "odre.sqlite3", repeats)


def stored_rows(database: Path) -> list[tuple[int, int, int]]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute(
            "SELECT timestamp, consumption_mw, nature FROM consumption ORDER BY timestamp"
        ).fetchall()


def time_executemany(database: Path, folder: Path, repeats: int) -> float:
    """Median seconds of one `executemany` of the stored rows into a new file with the same
    schema and journal, in one transaction: the floor for writing them."""
    rows = stored_rows(database)
    with contextlib.closing(sqlite3.connect(database)) as connection:
        schema = [sql for (sql,) in connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table'")]
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    times = []
    for attempt in range(repeats):
        target = folder / f"executemany-{attempt}.sqlite3"
        with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as connection:
            connection.execute(f"PRAGMA journal_mode = {journal}")
            connection.execute("PRAGMA synchronous = NORMAL")
            for statement in schema:
                connection.execute(statement)
            with on_core(SERVER_CORE):
                started = time.perf_counter()
                connection.execute("BEGIN")
                connection.executemany(EXECUTEMANY, rows)
                connection.execute("COMMIT")
                times.append(time.perf_counter() - started)
        for path in folder.glob(f"{target.name}*"):
            path.unlink()
    return statistics.median(times)


def aggregate_sql(aggregate: br.Aggregate) -> str:
    bucket = aggregate.sql_bucket
    return (
        f"SELECT {bucket} AS bucket, avg(consumption_mw), min(consumption_mw), max(consumption_mw),"
        " sum(consumption_mw), count(*) FROM consumption WHERE timestamp BETWEEN ? AND ?"
        " GROUP BY bucket ORDER BY bucket"
    )


@contextlib.contextmanager
def paris_clock() -> Iterator[None]:
    """SQLite's 'localtime' on the Paris clock, as the service's buckets are."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Paris"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def time_aggregates(database: Path, repeats: int) -> list[br.AggregateResult]:
    """The median time of each aggregate's GROUP BY, all rows fetched, on a warm connection."""
    results = []
    bounds = utc_bounds(br.WHOLE_HISTORY)
    with paris_clock(), on_core(SERVER_CORE), contextlib.closing(sqlite3.connect(database)) as connection:
        for aggregate in br.AGGREGATES:
            sql = aggregate_sql(aggregate)
            buckets = len(connection.execute(sql, bounds).fetchall())
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                connection.execute(sql, bounds).fetchall()
                times.append(time.perf_counter() - started)
            results.append(br.AggregateResult(aggregate, buckets, statistics.median(times) * 1000))
    return results


def expected_rows(database: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        count = "SELECT count(*) FROM consumption WHERE timestamp BETWEEN ? AND ?"
        return {q.name: connection.execute(count, utc_bounds(q)).fetchone()[0] for q in br.QUERIES}


# Context ---------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def versions_in(bin_dir: Path, packages: list[str]) -> str:
    code = "import importlib.metadata as m, sys\nprint(', '.join(f'{p} {m.version(p)}' for p in sys.argv[1:]))"
    return run([bin_dir / "python", "-c", code, *packages]).stdout.strip()


def package_versions(packages: list[str]) -> str:
    found = []
    for package in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{package} {importlib.metadata.version(package)}")
    return ", ".join(found)


def context(
    arguments: argparse.Namespace, plan: Plan, wrk: str, today: tuple[str, Path] | None
) -> list[tuple[str, str]]:
    command = "make bench" + (f' BENCH_ARGS="{" ".join(sys.argv[1:])}"' if sys.argv[1:] else "")
    mode = (
        f"median of {plan.runs} runs of {plan.duration} s per cell"
        if plan.runs > 1
        else f"1 run of {plan.duration} s per cell"
    )
    wrk_version = run([wrk, "--version"], check=False).stdout.splitlines()[0].split(" [")[0]
    lines = [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("command", f"`{command}`"),
        (
            "method",
            f"each server alone on core {SERVER_CORE}, `wrk -t1 -c{CONNECTIONS}` on core {LOAD_CORE} "
            f"(taskset), {mode}; servers with their default settings and one worker",
        ),
        ("machine", f"{cpu_model()}, {os.cpu_count()} cores, Linux {platform.release()}"),
        ("load average (1, 5, 15 min) at the start", load_average()),
        (
            "versions",
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            + package_versions(["uvicorn", "starlette", "uvloop", "httptools", "orjson"])
            + f"; datasette {DATASETTE_VERSION}; {wrk_version}",
        ),
        (
            "data",
            f"{LAST_YEAR - FIRST_YEAR + 1} annual files {FIRST_YEAR}–{LAST_YEAR} in RTE's full-width layout "
            f"({len(bench_history.NEW_COLUMNS)} columns), written by scripts/bench_history.py",
        ),
    ]
    if today:
        commit, bin_dir = today
        lines.append(
            (
                f"today ({commit[:7]})",
                f"{versions_in(bin_dir, ['uvicorn', 'starlette'])}; served from the database its own "
                "`consumption import` wrote from the same files",
            )
        )
    return lines


# Main ------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None = None) -> tuple[argparse.Namespace, Plan]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 2 s per cell, one import: to try it")
    parser.add_argument("--runs", type=int, help="wrk runs per cell (default 3; quick: 1)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 6; quick: 2)")
    parser.add_argument("--compare", metavar="REF", help="also measure the project at this git commit ('today')")
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md", help="where to write the table")
    arguments = parser.parse_args(argv)
    quick = arguments.quick
    plan = Plan(
        runs=arguments.runs or (1 if quick else 3),
        duration=arguments.duration or (2 if quick else 6),
        repeats=1 if quick else 3,
        sql_repeats=3 if quick else 7,
        quick=quick,
    )
    return arguments, plan


def main(argv: list[str] | None = None) -> int:
    arguments, plan = parse_arguments(argv)
    wrk = ensure_wrk()
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {LOAD_CORE})  # this script and what it reads stay off the servers' core
    datasette = None if arguments.skip_datasette else datasette_bin()

    with contextlib.ExitStack() as stack:
        today: tuple[str, Path] | None = None
        if arguments.compare:
            commit, source = stack.enter_context(worktree(arguments.compare))
            today = (commit, install_today(commit, source))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="consumption-bench-")))
        files, one_day = folder / "files", folder / "one-day"
        say(f"writing {LAST_YEAR - FIRST_YEAR + 1} annual files…")
        bench_history.write_history(files, FIRST_YEAR, LAST_YEAR)
        bench_history.write_one_day(one_day, ONE_DAY_FILE)
        details = context(arguments, plan, wrk, today)

        servers = {br.NEW: br.Server("this project")}
        if today:
            servers[br.TODAY] = br.Server(f"today ({today[0][:7]})")
        servers[br.BARE] = br.Server("bare route")
        if datasette:
            servers[br.DATASETTE] = br.Server(f"datasette {DATASETTE_VERSION}")

        say("import…")
        database = folder / "consumption.sqlite3"
        servers[br.NEW].imported = measure_import(BIN, files, one_day, database, plan.repeats)
        today_database = folder / "today.sqlite3"
        if today:
            servers[br.TODAY].imported = measure_import(today[1], files, one_day, today_database, plan.repeats)
            if stored_rows(today_database) != stored_rows(database):
                raise SystemExit("today's import stored other rows than the new one from the same files")
        say("ten years: RTE's annual files, then one ODRÉ CSV export…")
        ten_years = measure_ten_years(folder, one_day, plan.repeats)
        say("executemany and SQL aggregates…")
        executemany = time_executemany(database, folder, 5)
        aggregates = time_aggregates(database, plan.sql_repeats)
        expected = expected_rows(database)

        say("servers…")
        supported = measure_project(servers[br.NEW], BIN, database, files, folder, expected, aggregates, wrk, plan)
        if today:
            measure_project(servers[br.TODAY], today[1], today_database, files, folder, expected, aggregates, wrk, plan)
        measure_bare(servers[br.BARE], database, folder, expected, wrk, plan)
        if datasette:
            measure_datasette(servers[br.DATASETTE], datasette, database, folder, expected, wrk, plan)

    details.insert(5, ("load average (1, 5, 15 min) at the end", load_average()))
    report = br.Report(
        servers=servers,
        rows=expected,
        executemany_seconds=executemany,
        ten_years=ten_years,
        half_hours=expected[br.WHOLE_HISTORY.name],
        aggregates=aggregates,
        aggregates_supported=supported,
        context=details,
        title_note=(
            "**Quick mode** (1 run of 2 s per cell): a check that the benchmark works, not figures to quote."
            if plan.quick
            else ""
        ),
    )
    page = br.render(report)
    print(page)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(page)
    say(f"written to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
