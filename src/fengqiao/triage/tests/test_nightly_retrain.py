"""The nightly retraining: ``training.retrain_if_due``, ``triage train --from-db --if-due`` and the
worker's job. It trains only once enough matters were labelled or closed since the last model
trained from the database, activates by the command's rule, and tells the administrators."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fengqiao.events.choices import State
from fengqiao.events.models import Category, Event, Notification
from fengqiao.triage import actions, classifier, training
from fengqiao.triage.jobs import nightly_retrain
from fengqiao.triage.models import ModelVersion

from .conftest import new_event, synthetic_corpus
from .test_service import TOPICS

pytestmark = pytest.mark.usefixtures("triage_db")


def _label(op, rounds: int, start: int = 0) -> list[Event]:
    """``rounds`` labelled matters of each of the three topics."""
    out = []
    for code, phrases in TOPICS.items():
        cat = Category.objects.get(code=code)
        for i in range(start, start + rounds):
            p = phrases[i % len(phrases)]
            ev = new_event(op, title=p[:10], content=f"心湖社区{i}号楼住户反映:{p},第{i}次了")
            actions.record_label(ev, cat, by=op, source="import")
            out.append(ev)
    return out


def test_nothing_is_trained_until_enough_matters_are_labelled(users):
    _label(users.county_op, 3)
    report = training.retrain_if_due(min_new=10, calibration_folds=2)
    assert report == {"due": False, "new_rows": 9, "min_new": 10, "since": None, "last_version": None}
    assert not ModelVersion.objects.exists()
    out = StringIO()
    call_command("triage", "train", "--from-db", "--if-due", stdout=out)  # the setting's 200
    assert "not due: 9 matters labelled or closed since the start (retrains from 200)" in out.getvalue()
    assert not ModelVersion.objects.exists()


def test_it_trains_when_due_and_counts_only_what_came_after(users, tmp_path):
    op = users.county_op
    labelled = _label(op, 12)
    earlier = new_event(op, title="升降梯", content="心湖社区3号楼升降梯门关不上")  # open, so no row yet
    out = StringIO()
    call_command("triage", "train", "--from-db", "--if-due", "--json", "--calibration-folds", "2", stdout=out)
    # the setting is 200: not due yet
    assert json.loads(out.getvalue())["due"] is False

    report = training.retrain_if_due(min_new=30, calibration_folds=2)
    assert report["due"] and report["new_rows"] == 36 and report["version"] == 1
    mv = ModelVersion.objects.get(version=1)
    assert mv.note == "train --from-db --if-due" and mv.training["rows"] == 36
    # under 50 held-out matters: registered, not put to use (the command's rule)
    assert not report["enough_heldout"] and not report["activated"] and not mv.is_active
    assert training.rows_read_at(mv) <= mv.created_at

    # nothing new since: not due, whatever the threshold
    again = training.retrain_if_due(min_new=1, calibration_folds=2)
    assert again["due"] is False and again["new_rows"] == 0 and again["last_version"] == 1

    # a correction of an old label counts, and so does a matter closed with its category
    actions.record_label(labelled[0], Category.objects.get(code="environment.smell"), by=op, source="import")
    closed = new_event(op, title="烧烤店排烟", content="心湖社区烧烤店的烟熏得没法开窗")
    Event.objects.filter(pk=closed.pk).update(state=State.CLOSED, closed_at=timezone.now(),
                                              category=Category.objects.get(code="environment.smell"))
    # history imported since (closed at its own, earlier time) counts too: it is a new row
    old = new_event(op, title="老板跑路", content="心湖社区老板跑路了钱没发")
    Event.objects.filter(pk=old.pk).update(state=State.CLOSED, closed_at=timezone.now() - timedelta(days=300),
                                           category=Category.objects.get(code="labour.unpaid_wages"))
    assert mv.training["max_event_id"] < old.pk
    assert training.retrain_if_due(min_new=4)["new_rows"] == 3
    # a matter closed before the last training, of an id it had read, was in it
    assert earlier.pk <= mv.training["max_event_id"]
    Event.objects.filter(pk=earlier.pk).update(state=State.CLOSED, closed_at=timezone.now() - timedelta(days=1),
                                               category=Category.objects.get(code="property.elevator"))
    assert training.retrain_if_due(min_new=4)["new_rows"] == 3

    # a version registered from a file does not reset the count: only one trained from the database
    path = tmp_path / "file.skops"
    texts, labels = synthetic_corpus(5)
    classifier.train(texts, labels, calibration_folds=0, neighbours=0).save(path)
    registered = actions.register_file(path)
    assert registered.version == 2 and training.last_from_db().pk == mv.pk
    assert training.retrain_if_due(min_new=4)["new_rows"] == 3


def test_the_job_puts_a_better_model_to_use_and_tells_the_administrators(users, settings, monkeypatch):
    settings.FENGQIAO_TRIAGE_RETRAIN_MIN_NEW = 30
    monkeypatch.setattr(training, "MIN_HELDOUT_TO_ACTIVATE", 1)  # the synthetic history is small
    _label(users.county_op, 12)
    admin = users.admin
    before = Notification.objects.filter(user=admin).count()
    report = nightly_retrain.call_local()
    assert report["activated"] and report["version"] == 1
    mv = ModelVersion.objects.get(version=1)
    assert mv.is_active and mv.note == "nightly retraining"
    notes = list(Notification.objects.filter(user=admin).order_by("-pk")[: Notification.objects.filter(
        user=admin).count() - before])
    assert len(notes) == 1 and notes[0].kind == "triage_model_activated"
    assert notes[0].title == "分类模型已自动更新为 v1"
    assert "关键词规则" in notes[0].body and "fengqiao triage rollback" in notes[0].body
    # operators are not told: models are the administrators' business
    assert not Notification.objects.filter(user=users.county_op, kind="triage_model_activated").exists()
    # the next night: nothing new, nothing trained
    assert nightly_retrain.call_local()["due"] is False
    assert ModelVersion.objects.count() == 1


def test_the_job_can_be_switched_off(users, settings):
    settings.FENGQIAO_TRIAGE_RETRAIN = False
    settings.FENGQIAO_TRIAGE_RETRAIN_MIN_NEW = 1
    _label(users.county_op, 4)
    assert nightly_retrain.call_local() is None
    assert not ModelVersion.objects.exists()


def test_the_job_skips_a_history_of_one_category(users, settings, caplog):
    settings.FENGQIAO_TRIAGE_RETRAIN_MIN_NEW = 1
    op = users.county_op
    cat = Category.objects.get(code="property.elevator")
    for i in range(3):
        actions.record_label(new_event(op, title="升降梯", content=f"心湖社区{i}号楼升降梯门关不上"), cat, by=op,
                             source="import")
    with caplog.at_level("INFO", logger="fengqiao.triage.jobs"):
        assert nightly_retrain.call_local() is None
    assert "nightly retraining skipped" in caplog.text and "at least two categories" in caplog.text
    assert not ModelVersion.objects.exists()


def test_if_due_cannot_force_an_activation():
    with pytest.raises(CommandError) as exc:
        call_command("triage", "train", "--from-db", "--if-due", "--activate", stdout=StringIO())
    assert exc.value.returncode == 2 and "--if-due" in str(exc.value) and "参数有误" in str(exc.value)


def test_if_due_belongs_to_training_from_the_database(tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("triage", "train", "--data", str(tmp_path / "x.csv"), "--out", str(tmp_path / "m.skops"),
                     "--if-due", stdout=StringIO())
    assert exc.value.returncode == 2 and "--if-due" in str(exc.value)


def test_a_candidate_never_put_to_use_loses_its_file_to_the_next(users, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    """Unattended retraining keeps one candidate file, not one per night; a version that was ever
    active keeps its file, since a rollback may return to it."""
    from fengqiao.core.models import AuditRecord

    op = users.county_op
    _label(op, 12)
    first = training.retrain_if_due(min_new=30, calibration_folds=2)
    assert not first["activated"] and first["files_removed"] == []
    v1 = ModelVersion.objects.get(version=1)
    assert v1.path().is_file()

    monkeypatch.setattr(training, "MIN_HELDOUT_TO_ACTIVATE", 1)
    _label(op, 12, start=12)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the record is committed
        second = training.retrain_if_due(min_new=30, calibration_folds=2)
    assert second["version"] == 2 and second["activated"] and second["files_removed"] == [1]
    v1.refresh_from_db()
    assert not v1.path().exists() and v1.file_removed_at is not None and v1.note == "train --from-db --if-due"
    record = AuditRecord.objects.get(action="triage_model_file_remove", object_id=str(v1.pk))
    assert record.before["file"] == v1.file and record.after == {"superseded_by": 2}
    with pytest.raises(CommandError) as exc:
        call_command("triage", "activate", "1", stdout=StringIO())
    assert "模型 v1 的文件已删除" in str(exc.value) and "a later retraining took its place" in str(exc.value)
    out = StringIO()
    call_command("triage", "models", stdout=out)
    assert "the file of model v1 was removed" in out.getvalue()

    _label(op, 12, start=24)
    with django_capture_on_commit_callbacks(execute=True):
        third = training.retrain_if_due(min_new=30, calibration_folds=2)
    assert third["version"] == 3 and third["files_removed"] == []
    assert ModelVersion.objects.get(version=2).path().is_file()


MODELS = "/admin/triage/modelversion/"


def _notices(response):
    """The line under the list's title, and the messages (none: they answer the list's actions)."""
    assert [str(m) for m in response.context["messages"]] == []
    return [str(response.context["retraining_notice"])]


def test_the_model_list_says_when_the_next_retraining_comes(admin_client, users, settings):
    settings.FENGQIAO_TRIAGE_RETRAIN_MIN_NEW = 30
    _label(users.county_op, 3)
    res = admin_client.get(MODELS, HTTP_ACCEPT_LANGUAGE="en")
    page = res.content.decode()
    assert res.status_code == 200 and '<p class="help retraining-notice">Nightly retraining: 9 matters' in page
    assert "<title>Nightly" not in page  # under the title, not in the browser's tab
    assert _notices(res) == [
        "Nightly retraining: 9 matters labelled or closed so far, no model trained from the database yet; it "
        "trains at 02:43 once there are 30. A new model is put to use only if it does better on at least 50 "
        "held-out matters."]
    _label(users.county_op, 12, start=3)
    training.retrain_if_due(calibration_folds=2)
    _label(users.county_op, 1, start=20)
    res = admin_client.get(MODELS, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _notices(res)[0].startswith("每晚自动重训:模型 v1 训练以来新增 3 件已标注或已归档的事件;满 30 件后于 02:43 重训。")
    settings.FENGQIAO_TRIAGE_RETRAIN = False
    res = admin_client.get(MODELS, HTTP_ACCEPT_LANGUAGE="en")
    assert _notices(res) == ["Nightly retraining is off (FENGQIAO_TRIAGE_RETRAIN). Retrain with: fengqiao triage "
                             "train --from-db"]



def test_the_job_runs_at_night_in_the_local_time_zone():
    """huey reads crontabs in UTC unless told otherwise: 02:43 would have been 10:43 in 三门."""
    from datetime import datetime

    from huey.contrib.djhuey import HUEY

    assert HUEY.utc is False
    task = nightly_retrain.task_class()
    assert task.validate_datetime(datetime(2026, 12, 8, 2, 43))
    assert not task.validate_datetime(datetime(2026, 12, 8, 10, 43))


def test_an_activation_checked_just_before_the_file_went_is_refused(users, monkeypatch):
    """The file of a candidate is removed between an admin's check of it and the activation's
    lock: the activation sees the mark under the lock and refuses, instead of putting a
    version without a file to use."""
    from fengqiao.core.errors import UserError

    op = users.county_op
    _label(op, 12)
    training.retrain_if_due(min_new=30, calibration_folds=2)
    _label(op, 12, start=12)
    training.retrain_if_due(min_new=30, calibration_folds=2)  # v2 registered, not activated
    v2 = ModelVersion.objects.get(version=2)
    checked = actions.check_version

    def check_then_lose_the_file(mv):
        unmatched = checked(mv)
        # what a retraining registering v3 does meanwhile
        assert actions.remove_superseded_file(mv, superseded_by=ModelVersion(version=3))
        return unmatched

    monkeypatch.setattr(actions, "check_version", check_then_lose_the_file)
    with pytest.raises(UserError) as exc:
        actions.activate_version(v2)
    assert exc.value.code == "model_removed"
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_a_verdict_against_a_model_no_longer_in_use_is_not_acted_on(users, monkeypatch, tmp_path):
    """Another version is put to use while the new one is being judged against the keyword rules:
    the new one stays registered."""
    monkeypatch.setattr(training, "MIN_HELDOUT_TO_ACTIVATE", 1)
    _label(users.county_op, 12)
    path = tmp_path / "other.skops"
    texts, labels = synthetic_corpus(5)
    codes = {"交通运输": "labour.unpaid_wages", "教育文体": "property.elevator", "环境保护": "environment.smell"}
    classifier.train(texts, [codes[x] for x in labels], calibration_folds=0, neighbours=0).save(path)
    register = actions.register_version

    def register_while_an_admin_activates(**kw):
        mv = register(**kw)
        monkeypatch.setattr(actions, "register_version", register)  # the admin's own registration
        actions.activate_version(actions.register_file(path))
        return mv

    monkeypatch.setattr(actions, "register_version", register_while_an_admin_activates)
    report = training.retrain_if_due(min_new=30, calibration_folds=2)
    assert report["better"] and report["changed_meanwhile"] and not report["activated"]
    assert ModelVersion.objects.get(is_active=True).version == 2  # the admin's choice stands


def test_a_failed_registration_leaves_no_model_file(users, monkeypatch):
    from django.db import IntegrityError

    _label(users.county_op, 12)
    before = set(actions.models_dir().glob("*.skops")) if actions.models_dir().exists() else set()

    def refuse(**kw):
        raise IntegrityError("another process took the number")

    monkeypatch.setattr(actions, "register_version", refuse)
    with pytest.raises(IntegrityError):
        training.retrain_if_due(min_new=30, calibration_folds=2)
    assert set(actions.models_dir().glob("*.skops")) == before
    assert not ModelVersion.objects.exists()


def test_the_note_names_the_model_it_replaced_and_reaches_active_administrators_only(users,
                                                                                   django_capture_on_commit_callbacks):
    from fengqiao.accounts.models import User
    from fengqiao.core import roles
    from fengqiao.triage.jobs import tell_admins

    retired = User.objects.create(username="old_admin", role=roles.ADMIN, area=users.admin.area, is_active=False)
    report = {"version": 7, "evaluation": {"heldout_rows": 64, "macro_f1": 0.91},
              "baseline": {"active_version": 6, "macro_f1": 0.875}, "training": {"train_rows": 250}}
    with django_capture_on_commit_callbacks(execute=True):
        tell_admins(report)
    note = Notification.objects.get(user=users.admin, kind="triage_model_activated")
    assert note.title == "分类模型已自动更新为 v7"
    assert note.body == ("新模型在 64 件留出事件上的宏平均F1为 0.9100，原用v6为 0.8750；训练 250 件。"
                         "如需回退: fengqiao triage rollback")
    assert not Notification.objects.filter(user=retired).exists()
    assert not Notification.objects.filter(kind="triage_model_activated").exclude(user__role=roles.ADMIN).exists()


def test_if_due_waits_for_no_one_while_the_nightly_job_trains(users):
    from fengqiao.core import leases
    from fengqiao.triage.jobs import RETRAIN_LEASE

    _label(users.county_op, 3)
    token = leases.acquire(RETRAIN_LEASE, 60)
    try:
        with pytest.raises(CommandError) as exc:
            call_command("triage", "train", "--from-db", "--if-due", stdout=StringIO())
        assert "another retraining is running" in str(exc.value) and "另一次重训正在进行" in str(exc.value)
        assert nightly_retrain.call_local() is None  # and the job skips while a command trains
    finally:
        leases.release(RETRAIN_LEASE, token)
    assert not ModelVersion.objects.exists()


def test_a_retraining_reads_at_most_its_cap_labels_first_then_the_newest_closed(users, settings):
    op = users.county_op
    labelled = _label(op, 4)  # 12 labelled matters
    closed = []
    for i in range(5):
        ev = new_event(op, title="升降梯", content=f"心湖社区{i}号楼升降梯门关不上")
        Event.objects.filter(pk=ev.pk).update(state=State.CLOSED, closed_at=timezone.now(),
                                              category=Category.objects.get(code="property.elevator"))
        closed.append(ev.pk)
    everything = training.labelled_rows()
    assert [r[0] for r in everything] == sorted([e.pk for e in labelled] + closed)
    capped = training.labelled_rows(limit=14)
    assert [r[0] for r in capped] == sorted([e.pk for e in labelled] + closed[-2:])
    assert {r[3] for r in capped if r[0] in closed} == {"closed"}
    assert [r[0] for r in training.labelled_rows(limit=5)] == sorted(e.pk for e in labelled)[-5:]

    settings.FENGQIAO_TRIAGE_MAX_TRAIN_ROWS = 14
    report = training.retrain_if_due(min_new=1, calibration_folds=2)
    assert report["training"]["rows"] == 14 and report["training"]["max_rows"] == 14
