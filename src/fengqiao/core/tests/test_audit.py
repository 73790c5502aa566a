import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from fengqiao.core import audit
from fengqiao.core.models import AppendOnlyError, AuditRecord

pytestmark = pytest.mark.django_db


def _append(n=3, seal=True):
    recs = [audit.record("test_write", object_type="tests.thing", object_id=str(i), after={"i": i, "名": "值"})
            for i in range(n)]
    if seal:  # the test's transaction never commits, so the after-commit seal does not run
        audit.seal()
    return [AuditRecord.objects.get(pk=r.pk) for r in recs]


def test_intact_chain_verifies():
    _append()
    result = audit.verify()
    assert result.ok, result.reason
    assert result.checked == AuditRecord.objects.count()


def test_each_record_links_to_the_previous():
    recs = _append(2)
    assert recs[1].prev_hash == recs[0].hash
    assert recs[1].seq == recs[0].seq + 1


def test_records_are_written_unsealed_and_sealed_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            a = audit.record("test_write", object_type="tests.thing", object_id="a")
            b = audit.record("test_write", object_type="tests.thing", object_id="b")
            assert AuditRecord.objects.get(pk=a.pk).seq is None and a.mac
    assert len(callbacks) == 1  # one seal per transaction, however many records
    a, b = AuditRecord.objects.get(pk=a.pk), AuditRecord.objects.get(pk=b.pk)
    assert a.seq is not None and b.seq == a.seq + 1 and b.prev_hash == a.hash
    result = audit.verify()
    assert result.ok and result.pending == 0, result.reason


def test_an_unsealed_record_edited_through_sql_is_detected():
    rec = _append(2, seal=False)[1]
    assert audit.verify().ok and audit.verify().pending >= 2
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditrecord SET after = %s WHERE id = %s", ['{"i": 99}', rec.pk])
    result = audit.verify()
    assert not result.ok and result.first_bad_id == rec.pk


def test_records_of_the_older_format_still_verify():
    """A trail written before sealing existed (no ``mac``; the hash covers the content) verifies,
    and new records continue its chain."""
    from fengqiao.core.models import AuditChainHead

    audit.seal()
    head = AuditChainHead.objects.get(pk=1)
    old = AuditRecord(seq=head.last_seq + 1, action="legacy", object_type="tests.thing", object_id="1",
                      prev_hash=head.last_hash, after={"x": 1})
    old.hash = audit.compute_hash(head.last_hash, old)
    old.save()
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1", [old.seq, old.hash])
    new = _append(1)[0]
    assert new.seq == old.seq + 1 and new.prev_hash == old.hash
    assert audit.verify().ok
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditrecord SET object_id = '2' WHERE id = %s", [old.pk])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == old.seq


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


def test_truncating_the_tail_and_setting_the_head_back_is_detected():
    """Deleting the newest records and setting the head to the (stored) link of the record
    before them used to verify as intact: the head is sealed with the audit key now."""
    recs = _append(3)
    keep = recs[-2]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditrecord WHERE id = %s", [recs[-1].pk])
        cur.execute("UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
                    [keep.seq, keep.hash])
    result = audit.verify()
    assert not result.ok and "seal" in result.reason
    with connection.cursor() as cur:  # the head removed altogether while records remain
        cur.execute("DELETE FROM core_auditchainhead")
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
    # a secret is never recorded, only a fingerprint that changes with it
    assert rec.after["password"].startswith("sha256:") and len(rec.after["password"]) == 19
    assert rec.after["password"] == rec.before["password"] and u.password not in str(rec.after)


def test_an_administrators_password_reset_is_recorded_without_the_password(users):
    from fengqiao.core import context

    u = users.cadre_xinhu
    with context.acting(users.admin, channel="web"):
        u.set_password("New-Passw0rd-xyz-2026")
        u.save()
    rec = AuditRecord.objects.filter(object_type="accounts.user", object_id=str(u.pk), action="update").last()
    assert rec is not None and rec.actor_id == users.admin.pk
    assert rec.before["password"] != rec.after["password"]
    assert "New-Passw0rd" not in str(rec.after) and u.password not in str(rec.after)
    assert not str(rec.after["demo_password"]) or str(rec.after["demo_password"]).startswith("sha256:")


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
    assert "chain head: seq " in ok.stdout  # the line to keep outside the database
    import sqlite3

    db = sqlite3.connect(tmp_path / "db.sqlite3")
    db.execute("UPDATE core_auditrecord SET actor_username = 'mallory' WHERE seq = 1")
    db.commit()
    bad = subprocess.run([*fq, "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "seq=1" in bad.stderr


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain():
    """Writers in several threads commit and seal at once: no record is lost or sealed twice,
    and the chain has no gap."""
    errors = []

    def writer(w):
        try:
            for i in range(8):
                with transaction.atomic():
                    audit.record("test_write", object_type="tests.thing", object_id=f"{w}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    audit.seal()
    result = audit.verify()
    assert result.ok, result.reason
    assert result.pending == 0 and result.checked == AuditRecord.objects.count() >= 32
    assert AuditRecord.objects.filter(object_type="tests.thing").count() == 32


@pytest.mark.django_db(transaction=True)
def test_background_sealer_seals_committed_records(settings):
    """The default mode: a commit wakes the process's sealer thread, which seals in a batch."""
    import time

    settings.FENGQIAO_AUDIT_SEAL = "background"
    try:
        with transaction.atomic():
            recs = [audit.record("test_write", object_type="tests.thing", object_id=str(i)) for i in range(3)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not AuditRecord.objects.filter(pk__in=[r.pk for r in recs], seq__isnull=True).exists():
                break
            time.sleep(0.05)
        sealed = list(AuditRecord.objects.filter(pk__in=[r.pk for r in recs]).order_by("seq"))
        assert all(r.seq is not None for r in sealed)
        assert [r.seq for r in sealed] == [sealed[0].seq + i for i in range(3)]
        assert audit.verify().ok
    finally:
        audit.stop_sealer()


def test_audit_api_is_for_auditors_only(api, users):
    _append(1)
    assert api(users.auditor).get("/api/v1/audit/").status_code == 200
    assert api(users.auditor).get("/api/v1/audit/", {"action": "test_write"}).json()["count"] == 1
    assert api(users.admin).get("/api/v1/audit/").status_code == 403
    assert api(users.county_op).get("/api/v1/audit/").status_code == 403
    # an auditor cannot change data
    assert api(users.auditor).post("/api/v1/audit/", {}).status_code in (403, 405)


def test_a_sign_in_is_one_login_record(client, users):
    """Django stamps last_login with a save at sign-in; the login record covers it."""
    u = users.county_op
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    resp = client.post("/accounts/login/", {"username": u.username, "password": "Fengqiao-2026"})
    assert resp.status_code == 302
    new = list(AuditRecord.objects.filter(id__gt=mark, object_id=str(u.pk)).values_list("action", flat=True))
    assert new == ["login"]


def test_canonical_records_a_nul_as_a_sign():
    """PostgreSQL's JSON column refuses NUL; a value holding one is recorded with NUL_SIGN, at any
    depth and in keys, and a value without one is left as it is."""
    assert audit.canonical({"a": ["x\x00y", {"k\x00": 1}]}) == {"a": [f"x{audit.NUL_SIGN}y", {f"k{audit.NUL_SIGN}": 1}]}
    assert audit.canonical({"a": "\\u0000", "b": [1, "二"]}) == {"a": "\\u0000", "b": [1, "二"]}
