"""gunicorn server hooks for ``fengqiao serve``: the background worker runs beside the web
workers unless it is run on its own.

Time-limit colours, escalation, notifications and outbound deliveries are done by the huey
worker (``fengqiao worker``). A county that runs ``fengqiao serve`` alone (``make demo``, a
single machine) would otherwise see every overdue matter stay green. With
``FENGQIAO_SERVE_WORKER=1`` (``serve``'s default; ``--no-worker`` turns it off for deployments
that run ``fengqiao worker`` as a service of its own), the gunicorn master starts one worker
process when it is ready and stops it when it exits. On Linux the worker also gets SIGTERM if
the master dies without running its exit hook. A worker that exits on its own (killed, out of
memory) is started again within ``WATCH_SECONDS``, at most ``MAX_RESTARTS`` times in ten
minutes; past that the master logs an error and leaves it stopped (a worker that cannot start
would otherwise restart forever).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

_worker: subprocess.Popen | None = None
_stopping = threading.Event()
WATCH_SECONDS = 5.0
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 600.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "fengqiao.cli", "worker", "--workers", os.environ.get("FENGQIAO_WORKER_THREADS", "2")]


def _start(server) -> None:
    global _worker
    _worker = subprocess.Popen(worker_argv(), preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    server.log.info("background worker started (pid %s)", _worker.pid)


def _watch(server) -> None:
    """Start the worker again when it has exited (the master reaps it; ``poll`` then reports 0)."""
    restarts: list[float] = []
    while not _stopping.wait(WATCH_SECONDS):
        proc = _worker
        if proc is None or proc.poll() is None:
            continue
        if _stopping.is_set():
            return
        now = time.monotonic()
        restarts = [t for t in restarts if now - t < RESTART_WINDOW_SECONDS]
        if len(restarts) >= MAX_RESTARTS:
            server.log.error(
                "background worker exited again (pid %s); not restarted after %s restarts in %s minutes: time "
                "limits, notifications and deliveries stop until fengqiao serve is restarted "
                "(后台任务进程反复退出,已停止重启;请检查日志后重启 fengqiao serve)",
                proc.pid, MAX_RESTARTS, int(RESTART_WINDOW_SECONDS // 60))
            return
        restarts.append(now)
        server.log.error("background worker exited (pid %s, code %s); starting it again", proc.pid, proc.returncode)
        _start(server)


def when_ready(server) -> None:
    if os.environ.get("FENGQIAO_SERVE_WORKER", "1") != "1" or _worker is not None:
        return
    _stopping.clear()
    _start(server)
    threading.Thread(target=_watch, args=(server,), name="fengqiao-worker-watch", daemon=True).start()


def on_exit(server) -> None:
    global _worker
    _stopping.set()  # the watcher must not start it again
    if _worker is None:
        return
    _worker.terminate()
    try:
        _worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _worker.kill()
    _worker = None
