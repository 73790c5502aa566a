"""``fengqiao serve`` from an outside probe: worker and thread counts out of range (on the
command line or in WEB_CONCURRENCY / GUNICORN_THREADS) are refused up front in one bilingual
line, exit 1; ``--help`` works whatever the environment holds. ``--workers 0`` used to listen
and never answer, ``--threads 0`` to end in tracebacks, ``WEB_CONCURRENCY=abc`` in a ValueError
traceback before even ``--help`` could be shown."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.web.management.commands import serve


class Exec(Exception):
    """Raised instead of replacing the test process with gunicorn."""


@pytest.fixture(autouse=True)
def no_exec(monkeypatch):
    def fake(path, argv):
        raise Exec(argv)

    monkeypatch.setattr(os, "execv", fake)
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def refused(*args) -> str:
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("serve", *args, stdout=out, stderr=StringIO())
    message = str(exc.value)
    assert exc.value.returncode == 1
    assert "\n" not in message and message.count(" / ") == 1, message
    zh, en = message.split(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), message
    assert "serving on" not in out.getvalue()  # refused before saying it serves
    return message


@pytest.mark.parametrize("option, value", [
    ("--workers", "0"), ("--workers", "-3"), ("--workers", "65"), ("--workers", "x"),
    ("--threads", "0"), ("--threads", "-1"), ("--threads", "65"), ("--threads", "1.5"),
])
def test_counts_out_of_range_are_refused_up_front(port, option, value):
    message = refused("--port", port, "--no-worker", option, value)
    assert option in message and "64" in message


@pytest.mark.parametrize("name, value", [("WEB_CONCURRENCY", "abc"), ("WEB_CONCURRENCY", "0"),
                                         ("GUNICORN_THREADS", "x"), ("GUNICORN_THREADS", "-1")])
def test_a_bad_count_in_the_environment_is_refused_naming_it(monkeypatch, port, name, value):
    monkeypatch.setenv(name, value)
    message = refused("--port", port, "--no-worker")
    assert name in message and repr(value) in message


def test_an_option_wins_over_a_bad_environment(monkeypatch, port):
    monkeypatch.setenv("WEB_CONCURRENCY", "abc")
    with pytest.raises(Exec) as exc:
        call_command("serve", "--port", port, "--no-worker", "--workers", "2", stdout=StringIO())
    argv = exc.value.args[0]
    assert argv[argv.index("--workers") + 1] == "2" and argv[argv.index("--threads") + 1] == "4"


@pytest.mark.parametrize("workers, threads", [("1", "1"), ("64", "64")])
def test_the_bounds_themselves_are_served(port, workers, threads):
    with pytest.raises(Exec) as exc:
        call_command("serve", "--port", port, "--no-worker", "--workers", workers, "--threads", threads,
                     stdout=StringIO())
    argv = exc.value.args[0]
    assert argv[argv.index("--workers") + 1] == workers and argv[argv.index("--threads") + 1] == threads


def test_the_environment_still_sets_the_defaults(monkeypatch, port):
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "2")
    with pytest.raises(Exec) as exc:
        call_command("serve", "--port", port, "--no-worker", stdout=StringIO())
    argv = exc.value.args[0]
    assert argv[argv.index("--workers") + 1] == "5" and argv[argv.index("--threads") + 1] == "2"


def _fengqiao(tmp_path, *args, **env):
    full = {**os.environ, "FENGQIAO_VAR_DIR": str(tmp_path / "var"), **env}
    full.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "-m", "fengqiao", *args], capture_output=True, text=True, env=full,
                          timeout=120)


def test_help_works_with_a_bad_environment(tmp_path):
    done = _fengqiao(tmp_path, "serve", "--help", WEB_CONCURRENCY="abc", GUNICORN_THREADS="x")
    assert done.returncode == 0, done.stderr
    assert "--workers" in done.stdout and "Traceback" not in done.stderr


def test_a_bad_environment_is_one_line_and_exit_one(tmp_path):
    done = _fengqiao(tmp_path, "serve", "--no-worker", "--port", "1", WEB_CONCURRENCY="abc")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "WEB_CONCURRENCY" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert serve.MAX_WORKERS == 64
