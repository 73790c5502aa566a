import argparse
import errno
import os
import socket
import sys

from django.core.management.base import BaseCommand

from fengqiao.core.cli import command_error, whole_count

#: the most web workers and threads per worker ``serve`` starts. Each worker is a whole
#: process with Django loaded (about 100 MB) and each thread holds a database connection:
#: 64 is far beyond what one machine of a county needs (gunicorn suggests 2 × cores + 1
#: workers), while a typo such as 300 would exhaust the memory or PostgreSQL's connections
#: (100 by default). 0 or fewer never serves: gunicorn listened with no worker to answer.
MAX_WORKERS = 64
MAX_THREADS = 64
#: the defaults of ``--workers``/``--threads`` when the environment sets none
DEFAULT_WORKERS, DEFAULT_THREADS = 3, 4


def count(value, option: str, env: str, default: int, maximum: int) -> int:
    """The number of web workers or threads: ``value`` given as ``option``, else the environment
    variable ``env``, else ``default``; a bilingual :class:`CommandError` naming where it came
    from when it is not a whole number from 1 to ``maximum``. Read when the command runs, not
    when its options are declared, so ``--help`` works whatever the environment holds."""
    where = option
    if value is None:
        value, where = os.environ.get(env), env
        if value is None or not value.strip():
            return default
    return whole_count(value, where, maximum)


def gunicorn_argv(host: str, port, workers: int, threads: int, *, access_log: bool) -> list[str]:
    argv = [
        sys.executable, "-m", "gunicorn", "fengqiao.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--timeout", "60", "--config", "python:fengqiao.web.gunicorn_conf",
        # gunicorn's control socket is not used, and its default ($HOME/.gunicorn) is shared by
        # every server of the machine
        "--no-control-socket",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv


def address_problem(host: str, port) -> tuple[str, str] | None:
    """``(zh, en)`` when the server could not listen at ``host:port`` (a port that is no number,
    one another program holds, an address this machine does not have), else ``None``: said in
    one line before anything starts, instead of gunicorn's five English retries."""
    try:
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError
    except (TypeError, ValueError):
        return f"端口无效: {port}(应为 1–65535)", f"invalid port: {port} (1-65535)"
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind((host, number))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (f"端口 {number} 已被其他程序占用({host}:{number});请换一个端口(--port)或先停止该程序",
                    f"port {number} is already in use ({host}:{number}): choose another (--port) or stop "
                    f"the program that holds it")
        return (f"无法在 {host}:{number} 上监听: {exc.strerror}",
                f"cannot listen on {host}:{number}: {exc.strerror}")
    return None


class Command(BaseCommand):
    help = "Serve the console and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", metavar="N",
                            help=f"web worker processes, 1-{MAX_WORKERS} (default: WEB_CONCURRENCY or "
                                 f"{DEFAULT_WORKERS})")
        parser.add_argument("--threads", metavar="N",
                            help=f"threads per web worker, 1-{MAX_THREADS} (default: GUNICORN_THREADS or "
                                 f"{DEFAULT_THREADS})")
        parser.add_argument("--access-log", action=argparse.BooleanOptionalAction,
                            default=os.environ.get("FENGQIAO_ACCESS_LOG", "0").lower() in {"1", "true", "yes", "on"},
                            help="one line per request on stdout (default off, as gunicorn's; FENGQIAO_ACCESS_LOG=1). "
                                 "Writes are in the audit trail either way; a reverse proxy usually keeps the access log.")
        parser.add_argument("--worker", action=argparse.BooleanOptionalAction,
                            default=os.environ.get("FENGQIAO_SERVE_WORKER", "1") == "1",
                            help="also run the background worker (time-limit sweeps, escalation, notifications) "
                                 "beside the web workers (default on; --no-worker or FENGQIAO_SERVE_WORKER=0 when "
                                 "'fengqiao worker' runs as a service of its own)")

    def handle(self, *args, host, port, workers, threads, access_log, worker, **o):
        workers = count(workers, "--workers", "WEB_CONCURRENCY", DEFAULT_WORKERS, MAX_WORKERS)
        threads = count(threads, "--threads", "GUNICORN_THREADS", DEFAULT_THREADS, MAX_THREADS)
        problem = address_problem(host, port)
        if problem:
            raise command_error(*problem)
        argv = gunicorn_argv(host, port, workers, threads, access_log=access_log)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings.dev")
        os.environ["FENGQIAO_SERVE_WORKER"] = "1" if worker else "0"  # read by fengqiao.web.gunicorn_conf
        extra = " + the background worker" if worker else ""
        self.stdout.write(f"serving on http://{host}:{port}/ (gunicorn, {workers} workers{extra})")
        self.stdout.flush()
        os.execv(sys.executable, argv)
