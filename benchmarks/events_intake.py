"""Intake throughput over real HTTP: gunicorn (``fengqiao serve``) + ``POST /api/v1/events/``.

For each backend (a fresh SQLite database, and PostgreSQL with ``--database-url``) the script
migrates, loads the demo county, starts ``fengqiao serve`` on a free 127.0.0.1 port, and posts
``--requests`` matters from ``--clients`` threads (keep-alive connections, a unique channel
reference each, no triage). It reports matters/s accepted and p50/p99 latency, and writes them
to docs/benchmarks.md.

    python benchmarks/events_intake.py [--database-url postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import fresh_postgres, write_section

ROOT = Path(__file__).resolve().parent.parent
FENGQIAO = [sys.executable, "-c", "from fengqiao.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def run(cmd: list[str], env: dict) -> str:
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:])} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def body(run_id: str, i: int) -> bytes:
    return json.dumps({
        "channel": "hotline_12345", "channel_ref": f"B{run_id}-{i}", "title": "小区门口夜间烧烤噪音扰民",
        "content": f"海游街道心湖社区门口烧烤摊每晚营业到凌晨,噪音大(第{i}件)。", "address": "海游街道心湖社区",
        "reporter_name": "张三", "reporter_phone": "13812345678", "category": "noise.business",
    }, ensure_ascii=False).encode()


def post_bytes(port: int, token: str, payload: bytes, path: str = "/api/v1/events/") -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode("ascii") + payload


def read_response(reader) -> int:
    """Read one HTTP/1.1 response with a Content-Length from ``reader``; return its status."""
    status = int(reader.readline().split(b" ", 2)[1])
    length = None
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise SystemExit(f"answer {status} without Content-Length")
    reader.read(length)
    return status


def bench(label: str, env: dict, *, requests: int, clients: int, workers: int, threads: int) -> dict:
    run([*FENGQIAO, "migrate", "--no-input"], env)
    run([*FENGQIAO, "demo", "load"], env)
    token = run([*FENGQIAO, "token", "county_op"], env).strip().split()[-1]
    port = free_port()
    server = subprocess.Popen([*FENGQIAO, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                               str(workers), "--threads", str(threads)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("server did not start")
        run_id = uuid.uuid4().hex[:8]
        total = requests + clients * 20
        # Requests are serialised before the clock starts, and answers are read with a minimal
        # HTTP/1.1 reader (status line, Content-Length): the load generator shares the two cores
        # with the server, and http.client's header parsing took a share of them.
        wire = [post_bytes(port, token, body(run_id, i)) for i in range(total)]
        lock = threading.Lock()
        counter = iter(range(total))
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        def client(n: int, record: bool):
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = sock.makefile("rb")
                for _ in range(n):
                    with lock:
                        i = next(counter)
                    t0 = time.perf_counter()
                    sock.sendall(wire[i])
                    status = read_response(reader)
                    dt_ = time.perf_counter() - t0
                    if record:
                        with lock:
                            latencies.append(dt_)
                            statuses[status] = statuses.get(status, 0) + 1

        warm = [threading.Thread(target=client, args=(20, False)) for _ in range(clients)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        per = requests // clients
        ts = [threading.Thread(target=client, args=(per, True)) for _ in range(clients)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - t0
        time.sleep(1.0)  # the sealer threads seal within milliseconds of each commit
        # the verdict line only: the chain-head line after it would break the Markdown table
        audit_state = (run([*FENGQIAO, "audit", "verify", "--no-seal"], env).strip().splitlines() or [""])[0]
    finally:
        server.terminate()
        server.wait(10)
    lat = sorted(latencies)
    created = statuses.get(201, 0)
    result = {
        "backend": label, "requests": len(lat), "created": created, "errors": len(lat) - created,
        "seconds": elapsed, "rate": created / elapsed,
        "p50_ms": statistics.median(lat) * 1000, "p99_ms": lat[max(0, int(len(lat) * 0.99) - 1)] * 1000,
        "audit": audit_state,
    }
    print(json.dumps(result))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", default="", help="PostgreSQL server URL (a fresh database is created)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--triage", action="store_true", help="also measure with triage on intake")
    args = ap.parse_args()
    results = []
    base_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings.dev", "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT / "src")}
    base_env.pop("DATABASE_URL", None)
    opts = dict(requests=args.requests, clients=args.clients, workers=args.workers, threads=args.threads)
    modes = [("triage off", "0")] + ([("triage on", "1")] if args.triage else [])
    for mode, flag in modes:
        if not args.no_sqlite:
            with tempfile.TemporaryDirectory(prefix="fq-bench-") as tmp:
                env = {**base_env, "FENGQIAO_VAR_DIR": tmp, "FENGQIAO_TRIAGE_ON_INTAKE": flag}
                results.append(bench(f"SQLite (WAL), {mode}", env, **opts))
        if args.database_url:
            with tempfile.TemporaryDirectory(prefix="fq-bench-") as tmp:
                url = fresh_postgres(args.database_url, "fengqiao_bench_intake")
                env = {**base_env, "FENGQIAO_VAR_DIR": tmp, "DATABASE_URL": url, "FENGQIAO_TRIAGE_ON_INTAKE": flag}
                results.append(bench(f"PostgreSQL, {mode}", env, **opts))
    rows = "\n".join(
        f"| {r['backend']} | {r['requests']} | {r['errors']} | {r['rate']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} "
        f"| {r['audit']} |"
        for r in results)
    body = (
        f"`POST /api/v1/events/` over real HTTP to gunicorn (`fengqiao serve`, {args.workers} workers × "
        f"{args.threads} threads, gthread, no access log: its default), {args.clients} keep-alive client threads "
        "on the same machine (requests serialised before the clock starts, answers read by status line and "
        "Content-Length). "
        "Intake with triage off: validation, place resolution from the address, encryption of the reporter's "
        "name and phone, the matter with its number, its timeline entry and its audit record in one "
        "transaction, a receipt as the answer; the audit records are sealed into the hash chain by each "
        "process's sealer thread (the last column: `fengqiao audit verify --no-seal` one second after the "
        "last request). With `--triage`, triage on intake too (classification, gazetteer and grid look-up, "
        "routing, repeat search, stored result). Target on PostgreSQL, triage off: ≥ 200 matters/s.\n\n"
        "| backend | requests | errors | matters/s | p50 ms | p99 ms | audit trail after 1 s |\n"
        "|---|---|---|---|---|---|---|\n" + rows
    )
    write_section("events_intake", "Matters: intake throughput (HTTP)", body)


if __name__ == "__main__":
    main()
