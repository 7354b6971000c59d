"""`make bench`: the service beside a bare route and datasette, in one run, with wrk and hyperfine.

Prints four Markdown tables; docs/performance.md says how to run it and what each row means.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import itertools
import json
import marshal
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consumption.domain.clock import clock  # noqa: E402
from consumption.storage.reader import Snapshot  # noqa: E402
from consumption.storage.records import offset_segments, peak_buckets, peak_half_hours, profile  # noqa: E402
from tests.synthetic_history import PARIS, write_annual_files, write_odre_export  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "consumption-bench"
UV = Path(sys.executable).parent / "uv"  # in the project's venv: `make bench` runs .venv/bin/python
DATASETTE = "0.65.5"
FIRST, LAST = 2012, 2025
HISTORY = tuple(int(dt.datetime(year, 1, 1, tzinfo=PARIS).timestamp()) for year in (FIRST, LAST + 1))
WINDOWS = 20_000
WHOLE_HISTORY = f"/consumption?start={FIRST}-01-01&end={LAST}-12-31"
RANGE_SQL = """select timestamp, consumption_mw * 1000000 from consumption
where timestamp between cast(:start as integer) and cast(:end as integer) order by timestamp"""
EXECUTEMANY = """import marshal, sqlite3, sys
schema, rows = marshal.load(open(sys.argv[1], "rb"))
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.executescript(f"PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; {schema}; BEGIN")
db.executemany(f"INSERT INTO consumption VALUES ({', '.join('?' * len(rows[0]))})", rows)
db.execute("COMMIT")
"""
FLOORS = {  # the least this service's requests/s may be, as a multiple of the other server's
    "1 day, distinct": {"bare route": 0.7, "datasette": 5},
    "1 year, distinct": {"bare route": 0.5, "datasette": 3},
    "1 day, one URL repeated": {"bare route": 0.7},
}
Measure = tuple[str, list[float], str, tuple[str, float] | None]  # label, per server, unit, goal
VERDICT = {True: "met", False: "**not met**"}
say = functools.partial(print, file=sys.stderr, flush=True)


@dataclass
class Target:
    """A server to load: how to start it on a port, and how it asks for [start, end] in UTC seconds."""

    name: str
    command: Callable[[int], list[str]]
    path: Callable[[int, int], str]
    env: dict[str, str]


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, cwd=cwd, env=env)
    if result.returncode:
        raise SystemExit(f"failed: {' '.join(map(str, command))}\n{result.stdout}{result.stderr}")
    return str(result.stdout)


def utc_text(instant: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(instant))


def windows(days: int, count: int) -> list[tuple[int, int]]:
    """`count` windows of `days` days, each starting at a random half hour of the history (seeded)."""
    first, last = HISTORY[0], HISTORY[1] - days * 86400
    rng = random.Random(days)
    starts = [first + rng.randrange((last - first) // 1800) * 1800 for _ in range(count)]
    return [(start, start + days * 86400 - 1800) for start in starts]


def answered_rows(url: str) -> int:
    with urllib.request.urlopen(url, timeout=120) as response:
        document = json.loads(response.read())
    return int(document["count"]) if isinstance(document, dict) else len(document)


def free_port() -> int:
    with socket.socket() as probe:  # freed before the server binds it: a benchmark's risk, not a test's
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(target: Target, folder: Path) -> Iterator[tuple[str, int, float]]:
    """`target` alone on core 0: its base URL, its process id, its seconds to a first one-day answer."""
    port = free_port()
    started = time.perf_counter()
    command = ["taskset", "-c", "0", *target.command(port)]
    with (folder / f"{target.name}.log").open("w") as log:
        process = subprocess.Popen(command, env=target.env, cwd=folder, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None or time.perf_counter() - started > 120:
                log_text = (folder / f"{target.name}.log").read_text()[-3000:]
                raise SystemExit(f"{target.name} did not answer:\n{log_text}")
            with contextlib.suppress(OSError):
                answered_rows(base + target.path(*windows(1, 1)[0]))
                break
            time.sleep(0.005)
        yield base, process.pid, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)


def wrk(base: str, paths: list[str], seconds: int, folder: Path) -> tuple[float, float]:
    """Requests/s and p50 in ms, from core 1, of 16 connections walking `paths`."""
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    walk = ROOT / "scripts" / "walk.lua"
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    report = run(*command, "-s", walk, base, "--", listing)
    if "Non-2xx" in report or " 0 requests in" in report:
        raise SystemExit(f"{base}{paths[0]}: errors or no answer under load:\n{report}")
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", report)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    assert p50 and rate, report
    return float(rate[1]), float(p50[1]) * {"us": 0.001, "ms": 1, "s": 1000}[p50[2]]


def distinct_ranges(
    targets: list[Target], database: Path, seconds: int, rounds: int, folder: Path
) -> dict[str, dict[str, tuple[float, ...]]]:
    """Each row's requests/s and p50 per server, medians of `rounds`. The servers take turns on each
    row, each freshly started, so that a change in the machine's load weighs on all of them alike."""
    day, year = windows(1, WINDOWS), windows(365, WINDOWS)
    rows = {"1 day, distinct": day, "1 year, distinct": year}
    rows |= {"1 day, one URL repeated": day[:1], "1 year, one URL repeated": year[:1]}
    with contextlib.closing(sqlite3.connect(database)) as db:
        count = "SELECT count(*) FROM consumption WHERE timestamp BETWEEN ? AND ?"
        expected = {bounds: db.execute(count, bounds).fetchone()[0] for bounds in (day[0], year[0])}
    loads: dict[tuple[str, str], list[tuple[float, float]]] = {(r, t.name): [] for r in rows for t in targets}
    for _, (row, spans), target in itertools.product(range(rounds), rows.items(), targets):
        say(f"{target.name}: {row}")
        with serving(target, folder) as (base, _, _):
            if answered_rows(base + target.path(*spans[0])) != expected[spans[0]]:
                raise SystemExit(f"{target.name}: not the {expected[spans[0]]} rows of {spans[0]}")
            loads[row, target.name].append(wrk(base, [target.path(*span) for span in spans], seconds, folder))
    medians = {key: tuple(map(statistics.median, zip(*runs, strict=True))) for key, runs in loads.items()}
    return {row: {target.name: medians[row, target.name] for target in targets} for row in rows}


def timed(work: Callable[..., object], *arguments: object) -> float:
    started = time.perf_counter()
    work(*arguments)
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(match[1]) / 1024 if match else 0.0


def whole_history(target: Target, folder: Path) -> tuple[float, float, float]:
    """RSS growth in MB while 20 clients read the whole history; the slowest of five one-day answers
    meanwhile, in s; the median of three start-ups to a first one-day answer, in s."""
    startups = []
    for _ in range(3):
        with serving(target, folder) as (_, _, seconds):
            startups.append(seconds)
    with serving(target, folder) as (base, pid, _):
        before = peak = rss_mb(pid)
        readers = [sys.executable, ROOT / "scripts" / "whole_history_readers.py", base.rsplit(":", 1)[1], "20"]
        with subprocess.Popen([*map(str, readers), WHOLE_HISTORY], stdout=subprocess.PIPE, text=True) as streams:
            assert streams.stdout and streams.stdout.readline() == "sent\n"
            time.sleep(0.2)
            latencies = [timed(answered_rows, base + target.path(*span)) for span in windows(1, 5)]
            if streams.poll() is not None:
                raise SystemExit(f"{target.name}: the streams ended before the one-day answers")
            while streams.poll() is None:
                peak = max(peak, rss_mb(pid))
                time.sleep(0.02)
    return peak - before, max(latencies), statistics.median(startups)


def hyperfine(commands: dict[str, tuple[str, str]], runs: int, folder: Path) -> dict[str, float]:
    """The median seconds of each named (command, preparation), run by hyperfine on core 0; as
    `NAME (CPU)`, its mean CPU time (user and system), which another process's load changes less."""
    arguments = ["--runs", str(runs), "--export-json", str(folder / "hyperfine.json")]
    for name, (command, prepare) in commands.items():
        arguments += ["--prepare", prepare, "-n", name, f"taskset -c 0 {command}"]
    say(run("hyperfine", "--style", "basic", *arguments))
    results = json.loads((folder / "hyperfine.json").read_text())["results"]
    cpu = {f"{result['command']} (CPU)": result["user"] + result["system"] for result in results}
    return {result["command"]: float(result["median"]) for result in results} | cpu


def datasette() -> Path:
    """datasette at its pinned version, in a venv of its own kept between runs."""
    venv = CACHE / f"datasette-{DATASETTE}"
    if not (venv / ".installed").exists():
        say(f"installing datasette {DATASETTE} in {venv}")
        run(UV, "venv", "--quiet", "--allow-existing", "--python", sys.executable, venv)
        run(UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", f"datasette=={DATASETTE}")
        (venv / ".installed").touch()
    return venv / "bin" / "datasette"


def install(ref: str) -> tuple[str, Path]:
    """The project at `ref`, installed from a temporary `git archive` into a venv kept per commit."""
    commit = run("git", "-C", ROOT, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()
    venv = CACHE / f"project-{commit[:12]}"
    if not (venv / ".installed").exists():
        say(f"installing {commit[:7]} in {venv}")
        with tempfile.TemporaryDirectory(prefix="consumption-compare-") as temporary:
            run("sh", "-c", f"git -C {ROOT} archive {commit} | tar -x -C {temporary}")
            sync = ["sync", "--frozen", "--no-dev", "--no-editable", "--python", sys.executable]
            run(UV, *sync, cwd=Path(temporary), env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)})
        (venv / ".installed").touch()
    return commit[:7], venv / "bin"


def service(name: str, bin_dir: Path, database: Path, folder: Path) -> Target:
    """`consumption serve` with its defaults but where its data are: offline, one worker."""
    env = {**os.environ, "DATABASE_PATH": str(database), "DATA_DIR": str(folder / "empty"), "HISTORY_DIR": ""}
    env |= {"REFRESH_INTERVAL": "off", "RTE_BASE_URL": "http://127.0.0.1:9", "WORKERS": "1", "LOG_LEVEL": "WARNING"}
    return Target(
        name,
        lambda port: [str(bin_dir / "consumption"), "serve", "--port", str(port)],
        lambda start, end: f"/consumption?start={utc_text(start)}&end={utc_text(end)}",
        env,
    )


def others(database: Path, folder: Path) -> list[Target]:
    """The bare route and datasette, on the same database."""
    bare = [sys.executable, str(ROOT / "scripts" / "bare_route.py"), str(database)]
    metadata = folder / "datasette.json"
    metadata.write_text(json.dumps({"databases": {database.stem: {"queries": {"range": {"sql": RANGE_SQL}}}}}))
    serve = [str(datasette()), "serve", "-i", str(database), "-m", str(metadata), "-p"]
    limits = ["--setting", "max_returned_rows", "20000", "--setting", "sql_time_limit_ms", "60000"]
    query, env = f"/{database.stem}/range.json?_shape=array", dict(os.environ)
    return [
        Target("bare route", lambda port: [*bare, str(port)], lambda s, e: f"/consumption?start={s}&end={e}", env),
        Target("datasette", lambda port: [*serve, str(port), *limits], lambda s, e: f"{query}&start={s}&end={e}", env),
    ]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] + ["---:"] * (len(header) - 1), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def goal_table(title: str, names: list[str], measures: list[Measure]) -> str:
    """One row per measure: its goal, and each server's value with the goal met or not."""
    rows = []
    for label, values, unit, goal in measures:
        cells = [f"{value:,.2f}{unit}" for value in values]
        if goal:
            sign, bound = goal
            met = [value < bound if sign == "<" else value <= bound for value in values]
            cells = [f"{text} {VERDICT[ok]}" for text, ok in zip(cells, met, strict=True)]
        rows.append([label, f"{goal[0]} {goal[1]}{unit}" if goal else "", *cells])
    return table([title, "goal", *names], rows)


def ranges_table(figures: dict[str, dict[str, tuple[float, ...]]], servers: list[str]) -> str:
    """Each row's figures, this service's ratios to the bare route and datasette, and the floors."""
    rows = []
    for row, cells in figures.items():
        over = {other: cells["this service"][0] / cells[other][0] for other in ("bare route", "datasette")}
        floors = [
            f"≥ {least}× {other}: {VERDICT[over[other] >= least]}" for other, least in FLOORS.get(row, {}).items()
        ]
        loads = [f"{cells[server][0]:,.1f} req/s, p50 {cells[server][1]:,.1f} ms" for server in servers]
        rows.append([row, *loads, *(f"{ratio:.2f}×" for ratio in over.values()), "; ".join(floors) or "–"])
    return table(["request", *servers, "service ÷ bare", "service ÷ datasette", "floors"], rows)


def records_table(base: str, database: Path, runs: int) -> str:
    """Peaks and profile through HTTP and their SQL through sqlite3 here, in turns: the fastest of `runs`."""
    start, stop = HISTORY
    days, segments = list(clock(PARIS.key).buckets("day", start, stop)), offset_segments(clock(PARIS.key), start, stop)
    whole = f"?start={FIRST}-01-01&end={LAST}-12-31"
    reads: dict[str, tuple[str, Callable[[Snapshot], object]]] = {
        "the 10 highest half hours": (f"peaks{whole}", lambda s: peak_half_hours(s, start, stop - 1, 10, "highest")),
        "the 10 days of highest peak": (f"peaks{whole}&interval=day", lambda s: peak_buckets(s, days, 10, "highest")),
        "the profile, 48 slots": (f"profile{whole}", lambda s: profile(s, segments, False)),
        "the profile by weekday, 336 slots": (f"profile{whole}&by=weekday", lambda s: profile(s, segments, True)),
    }
    measures: list[Measure] = []
    with contextlib.closing(sqlite3.connect(database)) as db:
        for label, (path, read) in reads.items():
            url = f"{base}/consumption/{path}"
            times = [(timed(answered_rows, url), timed(read, Snapshot(db))) for _ in range(runs)]
            http, plain = (min(column) for column in zip(*times, strict=True))
            measures.append((f"{label}: {http * 1000:,.0f} ÷ {plain * 1000:,.0f} ms", [http / plain], "×", ("≤", 1.5)))
    return goal_table(f"peaks and profile, HTTP ÷ sqlite3 (fastest of {runs})", ["ratio"], measures)


def streams_table(streams: dict[str, tuple[float, float, float]]) -> str:
    rss, latency, startup = ([figures[i] for figures in streams.values()] for i in range(3))
    measures: list[Measure] = [
        ("RSS growth while 20 clients read the whole history", rss, " MB", ("<", 30)),
        ("slowest of five one-day answers meanwhile", latency, " s", ("<", 1)),
        ("start-up to a first one-day answer (median of 3)", startup, " s", ("<", 1)),
    ]
    return goal_table("whole history streamed", list(streams), measures)


def import_commands(bins: dict[str, Path], folder: Path) -> dict[str, tuple[str, str]]:
    """Each command hyperfine times, by name, with what it runs before each run (new databases)."""
    database = folder / "executemany.db"
    command = f"{sys.executable} {folder / 'executemany.py'} {folder / 'rows'} {database}"
    commands = {"executemany": (command, f"rm -f {database}*")}
    for index, (name, bin_dir) in enumerate(bins.items()):
        for files in ("files", "ten", "odre"):
            database = folder / f"{index}-{files}.db"
            command = f"{bin_dir / 'consumption'} import {folder / files} --database {database}"
            commands[f"{name}: {files}"] = (command, f"rm -f {database}*")
        commands[f"{name}: help"] = (f"{bin_dir / 'consumption'} --help", "true")
    return commands


def imports_table(seconds: dict[str, float], names: list[str]) -> str:
    def each(what: str) -> list[float]:
        return [seconds[what] if what.startswith("executemany") else seconds[f"{name}: {what}"] for name in names]

    def over(numerator: str, denominator: str) -> list[float]:
        return [a / b for a, b in zip(each(numerator), each(denominator), strict=True)]

    ten = f"{LAST - 9}–{LAST}"
    measures: list[Measure] = [
        (f"`consumption import` of the 14 annual files {FIRST}–{LAST}, new database", each("files"), " s", None),
        ("bare `executemany` of the same rows, already parsed", each("executemany"), " s", None),
        ("import ÷ executemany", over("files", "executemany"), "×", ("≤", 4)),
        ("… in CPU time (user + system)", over("files (CPU)", "executemany (CPU)"), "×", None),
        (f"`consumption import` of ten annual files {ten}", each("ten"), " s", None),
        (f"`consumption import` of ODRÉ's CSV of {ten}", each("odre"), " s", None),
        ("ODRÉ's CSV ÷ ten annual files", over("odre", "ten"), "×", ("≤", 1.3)),
        ("… in CPU time", over("odre (CPU)", "ten (CPU)"), "×", None),
        ("`consumption --help`", each("help"), " s", ("<", 0.15)),
        ("… in CPU time", each("help (CPU)"), " s", None),
    ]
    return goal_table("whole process (hyperfine, median)", names, measures)


def write_data(folder: Path, database: Path) -> None:
    """The files; `database` imported from them (untimed, it warms the caches up); its rows for executemany."""
    say(f"writing {LAST - FIRST + 1} annual files and ODRÉ's CSV of ten years")
    (folder / "ten").mkdir(parents=True)
    for year in write_annual_files(folder / "files", FIRST, LAST)[-10:]:
        os.link(year, folder / "ten" / year.name)
    write_odre_export(folder / "odre", LAST - 9, LAST)
    (folder / "empty").mkdir()
    run(Path(sys.executable).parent / "consumption", "import", folder / "files", "--database", database)
    with contextlib.closing(sqlite3.connect(database)) as db:
        schema = db.execute("SELECT sql FROM sqlite_master WHERE name = 'consumption'").fetchone()[0]
        (folder / "rows").write_bytes(marshal.dumps((schema, db.execute("SELECT * FROM consumption").fetchall())))
    (folder / "executemany.py").write_text(EXECUTEMANY)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one wrk run of 2 s, one hyperfine run: to try it")
    parser.add_argument("--compare", metavar="COMMIT", help="also measure the service at this commit")
    arguments = parser.parse_args()
    if missing := [tool for tool in ("wrk", "hyperfine", "taskset") if not shutil.which(tool)]:
        raise SystemExit(f"{', '.join(missing)} needed: `sudo apt-get install {' '.join(missing)}` (Debian, Ubuntu)")
    os.sched_setaffinity(0, {1})  # this script, and what it starts without taskset, off the servers' core
    seconds, runs, rounds = (2, 1, 1) if arguments.quick else (5, 5, 3)
    bins = {"this service": Path(sys.executable).parent}
    if arguments.compare:
        bins.update([install(arguments.compare)])
    with tempfile.TemporaryDirectory(prefix="consumption-bench-") as temporary:
        folder = Path(temporary)
        write_data(folder, folder / "consumption.sqlite3")
        timings = hyperfine(import_commands(bins, folder), runs, folder)
        services = [
            service(name, bin_dir, folder / f"{i}-files.db", folder) for i, (name, bin_dir) in enumerate(bins.items())
        ]
        database = folder / "consumption.sqlite3"
        figures = distinct_ranges([*services, *others(database, folder)], database, seconds, rounds, folder)
        streams = {target.name: whole_history(target, folder) for target in services}
        with serving(services[0], folder) as (base, _, _):
            os.sched_setaffinity(0, {0})  # SQL on the server's core, as the server's is
            peaks_and_profile = records_table(base, folder / "0-files.db", 2 * runs + 1)
    print(f"`make bench{' --quick' * arguments.quick}`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: each server")
    print(f"alone on core 0; `wrk -t1 -c16 -d{seconds}s` on core 1, median of {rounds}; hyperfine, median of {runs}.\n")
    print(ranges_table(figures, [*bins, "bare route", "datasette"]) + "\n")
    print(streams_table(streams) + "\n")
    print(peaks_and_profile + "\n")
    print(imports_table(timings, list(bins)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
