import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from fengqiao.core import audit
from fengqiao.core.models import AppendOnlyError, AuditRecord

pytestmark = pytest.mark.django_db


def _append(n=3):
    return [audit.record("test_write", object_type="tests.thing", object_id=str(i), after={"i": i, "名": "值"}) for i in range(n)]


def test_intact_chain_verifies():
    _append()
    result = audit.verify()
    assert result.ok, result.reason
    assert result.checked == AuditRecord.objects.count()


def test_each_record_links_to_the_previous():
    recs = _append(2)
    assert recs[1].prev_hash == recs[0].hash
    assert recs[1].seq == recs[0].seq + 1


def test_edit_through_sql_is_detected_and_named():
    recs = _append(3)
    target = recs[1]
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditrecord SET object_repr = %s WHERE id = %s", ["tampered", target.pk])
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == target.seq
    with pytest.raises(CommandError, match=f"seq={target.seq}"):
        call_command("audit", "verify")


def test_deletion_is_detected():
    recs = _append(3)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditrecord WHERE id = %s", [recs[1].pk])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == recs[1].seq


def test_truncating_the_tail_is_detected():
    recs = _append(3)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditrecord WHERE id = %s", [recs[-1].pk])
    assert not audit.verify().ok


def test_orm_refuses_changes_and_deletes():
    rec = _append(1)[0]
    rec.object_repr = "x"
    with pytest.raises(AppendOnlyError):
        rec.save()
    with pytest.raises(AppendOnlyError):
        rec.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=rec.pk).update(object_repr="x")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()


def test_generic_writes_are_audited_with_before_and_after(users):
    u = users.cadre_xinhu
    u.title = "新的职务"
    u.save()
    rec = AuditRecord.objects.filter(object_type="accounts.user", object_id=str(u.pk), action="update").last()
    assert rec is not None
    assert rec.after["title"] == "新的职务" and rec.before["title"] != "新的职务"
    assert "password" not in rec.after


def test_cli_exit_code_on_tampering(tmp_path):
    """The real command in a subprocess: exit 0 on an intact trail, non-zero naming the record."""
    import os

    env = {**os.environ, "FENGQIAO_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "fengqiao.settings.dev",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    fq = [sys.executable, "-m", "fengqiao.cli"]
    subprocess.run([*fq, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*fq, "users", "add", "someone", "--role", "auditor", "--password", "x-long-password"], env=env, check=True)
    ok = subprocess.run([*fq, "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "db.sqlite3")
    db.execute("UPDATE core_auditrecord SET actor_username = 'mallory' WHERE seq = 1")
    db.commit()
    bad = subprocess.run([*fq, "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "seq=1" in bad.stderr


def test_audit_api_is_for_auditors_only(api, users):
    _append(1)
    assert api(users.auditor).get("/api/v1/audit/").status_code == 200
    assert api(users.auditor).get("/api/v1/audit/", {"action": "test_write"}).json()["count"] == 1
    assert api(users.admin).get("/api/v1/audit/").status_code == 403
    assert api(users.county_op).get("/api/v1/audit/").status_code == 403
    # an auditor cannot change data
    assert api(users.auditor).post("/api/v1/audit/", {}).status_code in (403, 405)
