"""Benchmark the service against datasette on the same SQLite file, in one run.

    make bench        # or: .venv/bin/python scripts/bench.py [--duration 10]

1. writes the 2012-2025 history in RTE's layout (14 annual definitive files) and
   imports it with `consumption import`, reporting seconds and peak memory;
2. serves it with `consumption serve` (one uvicorn worker, the shipped settings)
   and measures requests/s, p50 and p99 for 1-day, 1-month and 1-year ranges with
   wrk (`wrk -t2 -c16`; installed from Debian when missing and possible);
3. measures the whole-history request: seconds, bytes, the server's RSS growth;
4. installs datasette 0.65 in a throwaway venv, serves the same file with its
   row cap raised, and measures the equivalent SQL JSON query the same way;
5. prints a Markdown table with the ratios to datasette.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from bench_import import write_history  # noqa: E402

BIN = Path(sys.executable).parent
RANGES = {  # name: (start, end) as the API takes them, and as UTC seconds for SQL
    "1 day": ("2024-06-01", "2024-06-01", 1717192800, 1717277400),
    "1 month": ("2024-06-01", "2024-06-30", 1717192800, 1719782999),
    "1 year": ("2024-01-01", "2024-12-31", 1704063600, 1735687799),
}
WHOLE = ("2012-01-01", "2025-12-31")
DATASETTE_SQL = (
    "select timestamp, consumption_mw, nature from consumption"
    " where timestamp between :start and :end order by timestamp"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def rss_mb(pid: int) -> tuple[float, float]:
    """Current and peak resident memory of a process, MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
    return rss, peak


def ensure_wrk() -> str | None:
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk from Debian…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True)
    return shutil.which("wrk")


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def load(url: str, duration: int, wrk: str | None) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 in ms, with 16 connections for `duration` seconds."""
    if wrk:
        out = subprocess.run(
            [wrk, "-t2", "-c16", f"-d{duration}s", "--latency", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1))
        p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1))
        if re.search(r"Non-2xx", out):
            raise SystemExit(f"errors while loading {url}:\n{out}")
        return rps, p50, p99
    return load_with_httpx(url, duration)


def load_with_httpx(url: str, duration: int) -> tuple[float, float, float]:
    """The fallback when wrk cannot be had: 16 concurrent httpx clients in one process."""
    import asyncio

    import httpx

    async def run() -> list[float]:
        latencies: list[float] = []
        deadline = time.monotonic() + duration
        async with httpx.AsyncClient(timeout=60) as client:

            async def worker() -> None:
                while time.monotonic() < deadline:
                    started = time.perf_counter()
                    response = await client.get(url)
                    response.raise_for_status()
                    latencies.append((time.perf_counter() - started) * 1000)

            await asyncio.gather(*(worker() for _ in range(16)))
        return latencies

    latencies = sorted(asyncio.run(run()))
    return len(latencies) / duration, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env={**os.environ, **env}, stdout=log.open("w"), stderr=subprocess.STDOUT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measure")
    parser.add_argument("--skip-datasette", action="store_true")
    args = parser.parse_args()
    wrk = ensure_wrk()
    tool = f"wrk -t2 -c16 -d{args.duration}s" if wrk else f"httpx, 16 concurrent clients, {args.duration}s"
    results: dict[str, dict[str, tuple[float, float, float]]] = {"ours": {}, "datasette": {}}

    with tempfile.TemporaryDirectory(prefix="consumption-bench-") as temporary:
        folder = Path(temporary)
        files = folder / "files"
        files.mkdir()
        database = folder / "consumption.sqlite3"
        print("writing 14 annual files (2012-2025)…", flush=True)
        write_history(files, 2012, 2025)

        started = time.perf_counter()
        subprocess.run(
            [BIN / "consumption", "import", str(files), "--database", str(database)],
            check=True,
            capture_output=True,
        )
        import_seconds = time.perf_counter() - started
        import_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"import: {import_seconds:.2f} s, peak RSS {import_peak:.0f} MB", flush=True)

        port = free_port()
        env = {
            "DATABASE_PATH": str(database),
            "DATA_DIR": str(files),
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "REFRESH_INTERVAL": "0",
        }
        server = start([str(BIN / "consumption"), "serve"], env, folder / "serve.log")
        try:
            wait_for(f"http://127.0.0.1:{port}/ready")
            cold = {}  # one request each, before any load: nothing rendered is cached yet
            for name, (first, last, _, _) in RANGES.items():
                started = time.perf_counter()
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/consumption?start={first}&end={last}", timeout=60
                ).read()
                cold[name] = (time.perf_counter() - started) * 1000
            for name, (first, last, _, _) in RANGES.items():
                url = f"http://127.0.0.1:{port}/consumption?start={first}&end={last}"
                results["ours"][name] = load(url, args.duration, wrk)
                print(f"ours, {name}: {results['ours'][name]}", flush=True)
            before, _ = rss_mb(server.pid)
            started = time.perf_counter()
            url = f"http://127.0.0.1:{port}/consumption?start={WHOLE[0]}&end={WHOLE[1]}"
            with urllib.request.urlopen(url, timeout=120) as response:
                size = 0
                while chunk := response.read(1 << 16):
                    size += len(chunk)
            whole_seconds = time.perf_counter() - started
            after, peak = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(10)

        if not args.skip_datasette:
            venv = folder / "datasette-venv"
            print("installing datasette 0.65 in a throwaway venv…", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([venv / "bin" / "pip", "install", "-q", "datasette==0.65.*"], check=True)
            port = free_port()
            datasette = start(
                [
                    str(venv / "bin" / "datasette"),
                    "serve",
                    str(database),
                    "-p",
                    str(port),
                    "--setting",
                    "max_returned_rows",
                    "20000",
                    "--setting",
                    "sql_time_limit_ms",
                    "60000",
                ],
                {},
                folder / "datasette.log",
            )
            try:
                wait_for(f"http://127.0.0.1:{port}/-/versions.json")
                for name, (_, _, first, last) in RANGES.items():
                    query = urllib.parse.urlencode(
                        {"sql": DATASETTE_SQL, "start": first, "end": last, "_shape": "array"}
                    )
                    url = f"http://127.0.0.1:{port}/{database.stem}.json?{query}"
                    results["datasette"][name] = load(url, args.duration, wrk)
                    print(f"datasette, {name}: {results['datasette'][name]}", flush=True)
            finally:
                datasette.terminate()
                datasette.wait(10)

    print()
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores ({platform.machine()}, "
        f"Python {platform.python_version()}), {tool}, the 2012-2025 history (245,444 half hours)."
    )
    print()
    print(
        "| range | this service: req/s | p50 ms | p99 ms | first request ms "
        "| datasette: req/s | p50 ms | p99 ms | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in RANGES:
        rps, p50, p99 = results["ours"][name]
        if name in results["datasette"]:
            d_rps, d_p50, d_p99 = results["datasette"][name]
            theirs, ratio = f"{d_rps:,.0f} | {d_p50:.0f} | {d_p99:.0f}", f"{rps / d_rps:.1f}×"
        else:
            theirs, ratio = "– | – | –", "–"
        print(f"| {name} | {rps:,.0f} | {p50:.1f} | {p99:.0f} | {cold[name]:.0f} | {theirs} | {ratio} |")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| import of 14 annual files | {import_seconds:.2f} s, peak RSS {import_peak:.0f} MB |")
    print(f"| whole history in one response | {whole_seconds:.2f} s, {size / 1e6:.1f} MB |")
    print(
        f"| server RSS before → after it (peak) | {before:.0f} → {after:.0f} MB ({peak:.0f} MB), "
        f"growth {after - before:+.0f} MB |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
