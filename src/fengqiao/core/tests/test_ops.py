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
    assert resp.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert views._migrated == {"default": True}

    def read_again(*args, **kwargs):
        raise AssertionError("the migration files were read again")

    monkeypatch.setattr(views, "MigrationExecutor", read_again)
    assert client.get("/healthz").json()["checks"]["migrations"] == "ok"  # not read again


def test_healthz_reports_pending_migrations_and_looks_again(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    from fengqiao.core import views

    monkeypatch.setattr(views, "_migrated", {})
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["one"])
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.json()["checks"]["migrations"] == "1 pending"
    assert views._migrated == {"default": False}


def test_production_settings_refuse_to_start_without_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FENGQIAO_DATA_KEY", "FENGQIAO_HASH_KEY", "FENGQIAO_AUDIT_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="fengqiao.settings.production", FENGQIAO_VAR_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr


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
