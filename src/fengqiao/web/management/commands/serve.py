import argparse
import os
import sys

from django.core.management.base import BaseCommand


def gunicorn_argv(host: str, port, workers: int, threads: int, *, access_log: bool) -> list[str]:
    argv = [
        sys.executable, "-m", "gunicorn", "fengqiao.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--timeout", "60", "--config", "python:fengqiao.web.gunicorn_conf",
    ]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv


class Command(BaseCommand):
    help = "Serve the console and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "4")))
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
        argv = gunicorn_argv(host, port, workers, threads, access_log=access_log)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings.dev")
        os.environ["FENGQIAO_SERVE_WORKER"] = "1" if worker else "0"  # read by fengqiao.web.gunicorn_conf
        extra = " + the background worker" if worker else ""
        self.stdout.write(f"serving on http://{host}:{port}/ (gunicorn, {workers} workers{extra})")
        self.stdout.flush()
        os.execv(sys.executable, argv)
