"""``fengqiao serve`` runs the background worker beside gunicorn (web.gunicorn_conf), so the
time-limit sweep runs on a single-machine install; ``--no-worker`` leaves it to a service."""

from __future__ import annotations

import logging
import sys

from fengqiao.web import gunicorn_conf
from fengqiao.web.management.commands.serve import gunicorn_argv


class _Server:
    log = logging.getLogger("test.gunicorn")


def test_gunicorn_is_given_the_hooks():
    argv = gunicorn_argv("127.0.0.1", 8000, 2, 2, access_log=False)
    assert argv[argv.index("--config") + 1] == "python:fengqiao.web.gunicorn_conf"


def test_the_worker_starts_with_the_server_and_stops_with_it(monkeypatch):
    monkeypatch.setattr(gunicorn_conf, "worker_argv", lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setenv("FENGQIAO_SERVE_WORKER", "1")
    gunicorn_conf.when_ready(_Server())
    proc = gunicorn_conf._worker
    try:
        assert proc is not None and proc.poll() is None
        gunicorn_conf.when_ready(_Server())  # a second call (a reload) starts no second worker
        assert gunicorn_conf._worker is proc
    finally:
        gunicorn_conf.on_exit(_Server())
    assert proc.poll() is not None and gunicorn_conf._worker is None


def test_no_worker_when_it_runs_on_its_own(monkeypatch):
    monkeypatch.setenv("FENGQIAO_SERVE_WORKER", "0")
    gunicorn_conf.when_ready(_Server())
    assert gunicorn_conf._worker is None


def test_the_worker_command_is_the_products():
    argv = gunicorn_conf.worker_argv()
    assert argv[:4] == [sys.executable, "-m", "fengqiao.cli", "worker"]



def test_a_worker_that_dies_is_started_again_and_then_given_up_on(monkeypatch, caplog):
    """A killed worker (kill -9, the OOM killer) used to stay dead while the web kept serving."""
    import time

    monkeypatch.setattr(gunicorn_conf, "worker_argv", lambda: [sys.executable, "-c", "pass"])  # exits at once
    monkeypatch.setattr(gunicorn_conf, "WATCH_SECONDS", 0.05)
    monkeypatch.setattr(gunicorn_conf, "MAX_RESTARTS", 3)
    monkeypatch.setenv("FENGQIAO_SERVE_WORKER", "1")
    with caplog.at_level(logging.INFO, logger="test.gunicorn"):
        gunicorn_conf.when_ready(_Server())
        try:
            deadline = time.monotonic() + 20
            while "not restarted after 3 restarts" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            gunicorn_conf.on_exit(_Server())
    started = [r.args[0] for r in caplog.records if r.getMessage().startswith("background worker started")]
    assert caplog.text.count("starting it again") == 3
    assert len(started) == 4 and len(set(started)) == 4  # four processes, one after another
    assert "not restarted after 3 restarts in 10 minutes" in caplog.text


def test_a_worker_stopped_with_the_server_is_not_started_again(monkeypatch, caplog):
    import time

    monkeypatch.setattr(gunicorn_conf, "worker_argv", lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(gunicorn_conf, "WATCH_SECONDS", 0.05)
    monkeypatch.setenv("FENGQIAO_SERVE_WORKER", "1")
    with caplog.at_level(logging.INFO, logger="test.gunicorn"):
        gunicorn_conf.when_ready(_Server())
        gunicorn_conf.on_exit(_Server())
        time.sleep(0.3)
    assert caplog.text.count("background worker started") == 1 and "starting it again" not in caplog.text
    assert gunicorn_conf._worker is None


def test_serve_says_in_one_line_when_it_cannot_listen():
    """It used to print 'serving on …' and then gunicorn's English retries for five seconds."""
    import socket

    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(CommandError) as exc:
            call_command("serve", "--port", str(port))
    assert f"端口 {port} 已被其他程序占用" in str(exc.value) and f"port {port} is already in use" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call_command("serve", "--port", "http")
    assert "端口无效: http" in str(exc.value) and "invalid port: http (1-65535)" in str(exc.value)


def test_gunicorn_keeps_no_control_socket_in_the_home_folder():
    assert "--no-control-socket" in gunicorn_argv("127.0.0.1", 8000, 2, 2, access_log=False)
