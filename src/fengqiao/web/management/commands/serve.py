import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the console and API with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", "4")))

    def handle(self, *args, host, port, workers, threads, **o):
        argv = [
            sys.executable, "-m", "gunicorn", "fengqiao.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--access-logfile", "-", "--timeout", "60",
        ]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings.dev")
        self.stdout.write(f"serving on http://{host}:{port}/ (gunicorn, {workers} workers)")
        self.stdout.flush()
        os.execv(sys.executable, argv)
