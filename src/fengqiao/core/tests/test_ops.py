import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db


def test_healthz(client, monkeypatch):
    from fengqiao.core import views

    monkeypatch.setattr(views, "_migrated", {})
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "worker": "not seen"}}
    assert views._migrated == {"default": True}

    def read_again(*args, **kwargs):
        raise AssertionError("the migration files were read again")

    monkeypatch.setattr(views, "MigrationExecutor", read_again)
    assert client.get("/healthz").json()["checks"]["migrations"] == "ok"  # not read again


def test_healthz_reports_pending_migrations_and_looks_again(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    from fengqiao.core import views

    monkeypatch.setattr(views, "_migrated", {})
    looked = []

    def plan(self, targets):
        looked.append(1)
        return ["one"]

    monkeypatch.setattr(MigrationExecutor, "migration_plan", plan)
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.json()["checks"]["migrations"] == "1 pending"
    assert views._migrated == {"default": False}
    assert client.get("/healthz").status_code == 503 and len(looked) == 2  # looked again


def test_production_settings_refuse_to_start_without_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FENGQIAO_DATA_KEY", "FENGQIAO_HASH_KEY", "FENGQIAO_AUDIT_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="fengqiao.settings.production", FENGQIAO_VAR_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr


def test_production_passes_the_deploy_check_on_https_and_health_stays_on_http(tmp_path):
    from cryptography.fernet import Fernet

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings.production", "FENGQIAO_VAR_DIR": str(tmp_path),
           "SECRET_KEY": "k" + Fernet.generate_key().decode() * 2, "FENGQIAO_DATA_KEY": Fernet.generate_key().decode(),
           "FENGQIAO_HASH_KEY": "h" * 40, "FENGQIAO_AUDIT_KEY": "a" * 40}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"], env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    # HSTS and the redirect to HTTPS are on; what is left are choices for the county's own domain
    assert "W004" not in out and "W008" not in out and "W012" not in out and "W016" not in out, out
    probe = ("import django; django.setup(); from django.conf import settings as s; "
             "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT)")
    shown = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "31536000 True ['^healthz$']"
    plain = subprocess.run([sys.executable, "-c", probe], env={**env, "SESSION_COOKIE_SECURE": "0"},
                           capture_output=True, text=True, check=True).stdout
    assert plain.strip() == "0 False ['^healthz$']"  # a county serving plain HTTP on its intranet


def test_cli_help_lists_commands_in_plain_words():
    proc = subprocess.run([sys.executable, "-m", "fengqiao.cli", "--help"], capture_output=True, text=True, check=True)
    for word in ("serve", "demo load", "audit verify", "token USERNAME", "areas import"):
        assert word in proc.stdout


def test_security_headers(client):
    resp = client.get("/accounts/login/")
    assert "script-src 'self'" in resp["Content-Security-Policy"]
    assert resp["X-Frame-Options"] == "DENY"


def test_out_of_range_numbers_are_a_400_not_a_500(client, users):
    """Found by the schemathesis fuzz: a 40-digit id in a filter overflowed the database driver."""
    from rest_framework.test import APIClient

    from fengqiao.accounts.actions import token_for

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(users.county_op)}")
    resp = api.get("/api/v1/mediation/sessions/", {"dispute": "189651550460933527197203026380062720"})
    # SQLite cannot bind the number (400); PostgreSQL compares it as numeric (no match, 200).
    assert resp.status_code in (200, 400)
    from django.db import DataError

    from fengqiao.core.api import exception_handler

    for exc in (OverflowError("Python int too large"), DataError("integer out of range")):
        handled = exception_handler(exc, {})
        assert handled.status_code == 400 and handled.data["error"] == "out_of_range"


def test_api_requests_skip_the_page_only_middleware(rf):
    """The message storage is set up for pages, not for /api/ or /open311/."""
    from fengqiao.core.middleware import MessagesForPages

    seen = {}

    def view(request):
        seen[request.path] = hasattr(request, "_messages")
        return HttpResponse("ok")

    from django.http import HttpResponse

    chain = MessagesForPages(view)
    for path in ("/api/v1/events/", "/open311/v2/services.json", "/matters/"):
        request = rf.get(path)
        request.session = {}
        chain(request)
    assert seen == {"/api/v1/events/": False, "/open311/v2/services.json": False, "/matters/": True}


def test_pages_still_get_messages(client, users):
    client.force_login(users.county_op)
    assert "_messages" in client.get("/matters/").wsgi_request.__dict__


def test_export_cells_never_start_a_formula():
    from fengqiao.core.sheets import safe_cell

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("路灯不亮") == "路灯不亮" and safe_cell(5) == 5
    # control characters are dropped first (openpyxl refuses them), then the formula guard
    assert safe_cell("\x07=1\x0b路灯\x00") == "'=1路灯" and safe_cell("a\tb\nc") == "a\tb\nc"


def test_an_api_address_no_route_matches_answers_in_the_error_shape(client, users):
    """Found by schemathesis: an id the route's pattern refuses (``/api/v1/areas/+(/``) fell
    through to Django's HTML 404 page, not the API's JSON error."""
    from rest_framework.test import APIClient

    from fengqiao.accounts.actions import token_for

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(users.county_op)}", HTTP_ACCEPT_LANGUAGE="en")
    for path in ("/api/v1/areas/%2B%28/", "/api/v1/no-such-thing/", "/api/v1/events/12/timeline/x/"):
        resp = api.get(path)
        assert resp.status_code == 404 and resp["Content-Type"].startswith("application/json"), path
        assert resp.json()["error"] == "not_found" and resp.json()["detail_zh"] and resp.json()["detail_en"]
    resp = client.get("/open311/v2/no-such-thing")
    assert resp.status_code == 404 and resp.json() == [{"code": 404, "description": "not found / 地址不存在"}]
    resp = client.get("/no-such-page/")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("text/html")


def test_serve_has_no_access_log_unless_asked(monkeypatch):
    from fengqiao.web.management.commands.serve import Command, gunicorn_argv

    assert "--access-logfile" not in gunicorn_argv("127.0.0.1", 8000, 3, 4, access_log=False)
    assert gunicorn_argv("127.0.0.1", 8000, 3, 4, access_log=True)[-2:] == ["--access-logfile", "-"]
    monkeypatch.setenv("FENGQIAO_ACCESS_LOG", "1")
    assert Command().create_parser("fengqiao", "serve").parse_args([]).access_log is True
    monkeypatch.setenv("FENGQIAO_ACCESS_LOG", "0")
    parser = Command().create_parser("fengqiao", "serve")
    assert parser.parse_args([]).access_log is False
    assert parser.parse_args(["--access-log"]).access_log is True


def test_api_index_lists_every_collection(api, users):
    """``GET /api/v1/`` listed only areas, departments and audit (the router's own index); it
    now lists every collection and entry point, each answering for a signed-in user."""
    anon = api().get("/api/v1/")
    assert anon.status_code == 401
    client = api(users.county_op)
    index = client.get("/api/v1/").json()
    assert {"me", "events", "categories", "notifications", "areas", "departments", "triage_suggest",
            "mediation", "open311_services", "docs"} <= set(index)
    for key, url in index.items():
        if key in {"audit", "triage_suggest", "open311_services"}:
            continue  # the auditor's; a POST endpoint; Open311 keys, not tokens
        assert client.get(url).status_code == 200, (key, url)


def test_worker_log_lines_are_written_once():
    """huey's consumer adds a plain-text handler to the "huey" logger when it has none, and its
    lines also reached the root's JSON handler: every worker line came out twice. The logger
    has the JSON handler of its own and does not propagate."""
    import logging

    huey = logging.getLogger("huey")
    assert huey.handlers and not huey.propagate
    assert any(type(h.formatter).__name__ == "JsonFormatter" for h in huey.handlers), huey.handlers


def _settings_options(env: dict) -> dict:
    """The database OPTIONS the settings module builds from ``env`` (a fresh interpreter)."""
    code = ("import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))")
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PG_JIT")}
    out = subprocess.run([sys.executable, "-c", code], env={**base, **env, "DJANGO_SETTINGS_MODULE":
                                                            "fengqiao.settings.test"},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgresql_connections_run_without_jit_unless_asked():
    """ADR 0017: ``-c jit=off`` joins the URL's own options; PG_JIT=1 leaves the server's setting;
    SQLite gets no such option."""
    url = "postgres://u@127.0.0.1:5432/db"
    assert _settings_options({"DATABASE_URL": url})["options"] == "-c jit=off"
    assert _settings_options({"DATABASE_URL": url + "?options=-c%20statement_timeout%3D5000"})["options"] == (
        "-c statement_timeout=5000 -c jit=off")
    assert "options" not in _settings_options({"DATABASE_URL": url, "PG_JIT": "1"})
    assert "options" not in _settings_options({"DATABASE_URL": "sqlite:////tmp/fq-jit-check.sqlite3"})


def test_the_test_database_connection_has_jit_off():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_healthz_fails_when_the_sqlite_file_cannot_be_written(client, monkeypatch):
    """A database file mounted read-only answered SELECT 1, so the health check said ok while
    every intake and every background job failed."""
    from django.db import connection

    from fengqiao.core import views

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's file; PostgreSQL is asked SHOW transaction_read_only")
    name = os.path.abspath(str(connection.settings_dict["NAME"]))
    if name.startswith(("file:", ":memory:")) or not os.path.exists(name):
        pytest.skip("an in-memory test database has no file")
    real = os.access
    monkeypatch.setattr(views.os, "access", lambda path, mode: False if str(path) == name else real(path, mode))
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.json()["checks"]["database"] == "read-only"


def test_healthz_asks_postgresql_whether_it_takes_writes(client):
    from django.db import connection

    from fengqiao.core import views

    with connection.cursor() as cur:
        assert views._writable(connection, cur) is True
    assert client.get("/healthz").json()["checks"]["database"] == "ok"


def test_a_read_only_var_folder_is_one_clear_line_not_a_traceback(monkeypatch, capsys):
    from django.conf import settings

    from fengqiao import cli

    var = str(settings.VAR_DIR)
    real = os.access
    monkeypatch.setattr(cli.os, "access", lambda path, mode: False if str(path) == var else real(path, mode))
    with pytest.raises(SystemExit) as exc:
        cli.main(["check"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"数据目录不可写: {var}(FENGQIAO_VAR_DIR);请检查其权限或挂载方式 / the data folder is not "
                           f"writable: {var} (FENGQIAO_VAR_DIR); check its permissions or how it is mounted")


def test_log_lines_mask_personal_data_and_credentials_in_every_field():
    import json
    import logging

    from fengqiao.core.logging import JsonFormatter

    record = logging.makeLogRecord({
        "msg": "Not Found: %s", "args": ("/api/v1/events/9/",),
        "request": "<WSGIRequest: GET '/open311/v2/requests/9.json?api_key=0123456789abcdef&phone=13973593069'>",
        "auth": "Token 0123456789abcdef0123", "id": "33102219650211081X"})
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert "13973593069" not in line and "0123456789abcdef" not in line and "19650211" not in line
    assert "api_key=***" in data["request"] and data["auth"] == "Token ***" and data["msg"].startswith("Not Found")
