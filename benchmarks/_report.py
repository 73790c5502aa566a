"""Write a benchmark's figures into its own section of docs/benchmarks.md.

Every script in benchmarks/ calls :func:`write_section` with a name and a Markdown body; the
section is replaced in place (between ``<!-- name:start -->`` and ``<!-- name:end -->``) or
appended, so scripts can be re-run in any order without disturbing each other's figures.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "benchmarks.md"
SHARED_DATA = Path(os.environ.get("FENGQIAO_SHARED_DATA", ROOT.parent / "shared" / "data"))

HEADER = """# Benchmarks

Every figure on this page is written by a script in `benchmarks/`; re-run the script named in a
section to refresh it. Each section records the machine, the date and the exact command.
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, "
        f"{platform.system()}; reference loop {reference_loop():.2f} s"
    )


@functools.cache
def reference_loop() -> float:
    """Seconds for a pure-Python loop of 10 million additions (best of 3): one core's speed,
    so figures from machines of the same name but different speed can be told apart (the
    shared 2-core machines of this project have differed by a factor of two from day to day)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best


def git_rev() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_section(name: str, title: str, body: str, command: str | None = None) -> None:
    command = command or "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    block = (
        f"<!-- {name}:start -->\n## {title}\n\n"
        f"- Machine: {machine()}\n- Date: {stamp} (commit {git_rev()})\n- Command: `{command}`\n\n"
        f"{body.strip()}\n<!-- {name}:end -->\n"
    )
    if os.environ.get("BENCH_DRY_RUN"):
        print(block)
        print(f"BENCH_DRY_RUN set: section {name!r} not written")
        return
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    REPORT.write_text(text, encoding="utf-8")
    print(f"wrote section {name!r} to {REPORT}")


def timed_queries(fn, runs: int) -> tuple[float, float, str]:
    """One warm-up, then ``runs`` timed calls, each counting its queries: p50 ms, max ms and the
    queries (one number, or the range when runs differ)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn(0)
    times, queries = [], []
    for run in range(1, runs + 1):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn(run)
            times.append((time.perf_counter() - start) * 1000)
        queries.append(len(ctx.captured_queries))
    shown = str(queries[0]) if min(queries) == max(queries) else f"{min(queries)}–{max(queries)}"
    return statistics.median(times), max(times), shown


class Pages:
    """Signed-in test clients of ``users`` (in-process, no network) and timed cases of their
    pages: ``get(username, url, params)`` and ``post(username, url, data)`` each return a
    function of the run number that requests the page and checks it answered 200."""

    def __init__(self, users):
        from django.test import Client

        self.clients = {}
        for u in users:
            self.clients[u.username] = Client()
            self.clients[u.username].force_login(u)

    def get(self, username: str, url: str, params=None):
        def fn(_run):
            resp = self.clients[username].get(url, params or {})
            assert resp.status_code == 200, (url, resp.status_code)
        return fn

    def post(self, username: str, url: str, data):
        def fn(_run):
            resp = self.clients[username].post(url, data)
            assert resp.status_code == 200, (url, resp.status_code)
        return fn


def fresh_postgres(url: str, name: str) -> str:
    """A new, empty PostgreSQL database ``name`` on the server of ``url`` (dropped first if it
    exists); its URL."""
    from urllib.parse import urlparse, urlunparse

    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))
