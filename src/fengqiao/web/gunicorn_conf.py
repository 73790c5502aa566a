"""gunicorn server hooks for ``fengqiao serve``: the background worker runs beside the web
workers unless it is run on its own.

Time-limit colours, escalation, notifications and outbound deliveries are done by the huey
worker (``fengqiao worker``). A county that runs ``fengqiao serve`` alone (``make demo``, a
single machine) would otherwise see every overdue matter stay green. With
``FENGQIAO_SERVE_WORKER=1`` (``serve``'s default; ``--no-worker`` turns it off for deployments
that run ``fengqiao worker`` as a service of its own), the gunicorn master starts one worker
process when it is ready and stops it when it exits. On Linux the worker also gets SIGTERM if
the master dies without running its exit hook.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

_worker: subprocess.Popen | None = None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "fengqiao.cli", "worker", "--workers", os.environ.get("FENGQIAO_WORKER_THREADS", "2")]


def when_ready(server) -> None:
    global _worker
    if os.environ.get("FENGQIAO_SERVE_WORKER", "1") != "1" or _worker is not None:
        return
    _worker = subprocess.Popen(worker_argv(), preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    server.log.info("background worker started (pid %s)", _worker.pid)


def on_exit(server) -> None:
    global _worker
    if _worker is None:
        return
    _worker.terminate()
    try:
        _worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _worker.kill()
    _worker = None
