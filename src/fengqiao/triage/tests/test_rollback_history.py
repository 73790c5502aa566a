"""Rollback follows the history of activations (ADR 0113): each rollback undoes the newest
activation not yet undone, down to the keyword rules; the history, its audit records, what
``triage history``/``models`` and the admin show, and migration 0004 seeding it from what an
existing deployment holds."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.models import AuditRecord
from fengqiao.core.tests.migrating import migrate_to, migrate_to_the_end
from fengqiao.triage import actions, classifier, service
from fengqiao.triage.models import ModelActivation, ModelVersion

from .conftest import active_number, register_copy, synthetic_corpus

CODES = {"交通运输": "labour.unpaid_wages", "教育文体": "property.elevator", "环境保护": "environment.smell"}
NONE = {"交通运输": "交通运输", "教育文体": "教育文体", "环境保护": "商贸旅游"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history-models")
    out = {}
    texts, labels = synthetic_corpus(15)
    for name, mapping in (("codes", CODES), ("none", NONE)):
        model = classifier.train(texts, [mapping[x] for x in labels], calibration_folds=2)
        out[name] = tmp / f"{name}.skops"
        model.save(out[name])
    return out


def _version(path) -> ModelVersion:
    return register_copy(path, "history")


_active = active_number


def _rollbacks(n, **kw):
    """The version number (``None``: the keyword rules) each of ``n`` rollbacks returns to."""
    out = []
    for _ in range(n):
        mv = actions.rollback(**kw)
        assert _active() == (mv.version if mv else None)
        out.append(mv.version if mv else None)
    return out


def _nothing_to_undo():
    with pytest.raises(Conflict) as exc:
        actions.rollback()
    assert exc.value.code == "nothing_to_undo" and exc.value.status == 409
    assert "没有可回退的模型启用" in exc.value.zh and "关键词规则" in exc.value.zh
    assert exc.value.en.startswith("there is no model activation to roll back")


# ---------------------------------------------------------------- walking back


def test_a_b_c_rolls_back_to_b_a_and_the_keyword_rules(triage_db, files):
    a, b, c = (_version(files["codes"]) for _ in range(3))
    for mv in (a, b, c):
        actions.activate_version(mv)
    assert _rollbacks(3) == [b.version, a.version, None]
    assert service.classify("老板拖欠工资").classifier == "keyword-rules"
    assert not ModelActivation.objects.filter(undone_at__isnull=True).exists()
    _nothing_to_undo()


def test_switching_back_and_forth_walks_back_instead_of_alternating(triage_db, files):
    """The flaw ADR 0113 admitted: with one ``replaced`` pointer per version, A → B → A → B
    then rollback gave A, B, A, B … for ever; now it walks back A, B, A, then the rules."""
    a, b = _version(files["codes"]), _version(files["codes"])
    for mv in (a, b, a, b):
        actions.activate_version(mv)
    assert _rollbacks(4) == [a.version, b.version, a.version, None]
    _nothing_to_undo()


def test_an_activation_after_a_rollback_returns_where_it_was_made(triage_db, files):
    a, b, c, d = (_version(files["codes"]) for _ in range(4))
    for mv in (a, b, c):
        actions.activate_version(mv)
    assert _rollbacks(1) == [b.version]
    actions.activate_version(d)  # made while b was in effect: the undone c is not returned to
    assert actions.in_effect().previous.version == b
    assert _rollbacks(3) == [b.version, a.version, None]


def test_activating_the_active_version_writes_nothing(triage_db, files):
    a = _version(files["codes"])
    actions.activate_version(a)
    rows, records = ModelActivation.objects.count(), AuditRecord.objects.count()
    actions.activate_version(a)
    assert ModelActivation.objects.count() == rows and AuditRecord.objects.count() == records
    assert _rollbacks(1) == [None]


# ---------------------------------------------------------------- refusals: clear, nothing written


def test_nothing_to_undo_is_a_bilingual_refusal_not_a_crash(triage_db):
    _nothing_to_undo()
    with pytest.raises(CommandError) as exc:
        call_command("triage", "rollback", stdout=StringIO(), stderr=StringIO())
    zh, sep, en = str(exc.value).partition(" / ")
    assert sep and "没有可回退的模型启用" in zh and en.startswith("there is no model activation to roll back")


def test_a_refused_activation_leaves_the_history_as_it_was(triage_db, files):
    a, b = _version(files["codes"]), _version(files["codes"])
    none = _version(files["none"])
    actions.activate_version(a)
    actions.activate_version(b)
    missing = actions.register_version(file="models/not-there.skops", labels=["x"], training={}, evaluation={})
    history = list(ModelActivation.objects.values())
    records = AuditRecord.objects.filter(action__startswith="triage_model_").count()
    for bad, code in ((none, "labels_unmatched"), (missing, "model_missing")):
        with pytest.raises(UserError) as exc:
            actions.activate_version(bad)
        assert exc.value.code == code
    assert list(ModelActivation.objects.values()) == history
    assert AuditRecord.objects.filter(action__startswith="triage_model_").count() == records
    assert _active() == b.version
    assert _rollbacks(2) == [a.version, None]


def test_rollback_to_a_broken_version_is_refused_naming_it_and_changes_nothing(triage_db, files):
    """Decided in ADR 0113: a version whose file is missing or altered is not skipped (that
    would hide the problem and land somewhere the admin did not expect)."""
    a, b, c = (_version(files["codes"]) for _ in range(3))
    for mv in (a, b, c):
        actions.activate_version(mv)
    kept = b.path().with_suffix(".kept")
    b.path().rename(kept)
    history = list(ModelActivation.objects.values())
    with pytest.raises(UserError) as exc:
        actions.rollback()
    assert exc.value.code == "model_missing"
    assert f"无法回退到 v{b.version}" in exc.value.zh and f"cannot roll back to v{b.version}" in exc.value.en
    with pytest.raises(CommandError, match=f"cannot roll back to v{b.version}"):
        call_command("triage", "rollback", stdout=StringIO())
    out = StringIO()
    call_command("triage", "history", stdout=out)
    assert f"refused while the model file of v{b.version} is missing" in out.getvalue().splitlines()[-1]
    assert list(ModelActivation.objects.values()) == history and _active() == c.version
    kept.rename(b.path())  # mended: the same rollback now goes through
    assert _rollbacks(2) == [b.version, a.version]


def test_a_history_that_does_not_match_the_active_version_is_refused_until_an_activation(triage_db, files):
    a, b = _version(files["codes"]), _version(files["codes"])
    actions.activate_version(a)
    ModelVersion.objects.filter(pk=a.pk).update(is_active=False)  # changed behind the actions' back
    ModelVersion.objects.filter(pk=b.pk).update(is_active=True)
    with pytest.raises(Conflict) as exc:
        actions.rollback()
    assert exc.value.code == "history_mismatch"
    assert f"v{b.version}" in exc.value.en and f"v{a.version}" in exc.value.en and "triage activate" in exc.value.zh
    actions.activate_version(b)  # already active, but not in the history: recorded now
    assert actions.in_effect().version == b
    assert _rollbacks(2) == [a.version, None]


def test_a_rollback_racing_an_activation_is_refused_as_stale(triage_db, files, monkeypatch):
    a, b, c = (_version(files["codes"]) for _ in range(3))
    actions.activate_version(a)
    actions.activate_version(b)
    real = actions.check_version

    def meanwhile(mv):  # while the rollback checks a's file, someone activates c
        monkeypatch.setattr(actions, "check_version", real)
        actions.activate_version(c)
        return real(mv)

    monkeypatch.setattr(actions, "check_version", meanwhile)
    with pytest.raises(Conflict) as exc:
        actions.rollback()
    assert exc.value.code == "stale"
    assert _active() == c.version and actions.in_effect().version == c
    assert not ModelActivation.objects.filter(undone_at__isnull=False).exists()
    assert _rollbacks(3) == [b.version, a.version, None]


# ---------------------------------------------------------------- audit


def test_activations_and_rollbacks_are_recorded_and_audited(triage_db, files, admin_user, django_user_model):
    other = django_user_model.objects.create_user(username=f"u{uuid.uuid4().hex[:8]}", password="x")
    a, b = _version(files["codes"]), _version(files["codes"])
    actions.activate_version(a, by=admin_user)
    actions.activate_version(b, by=other)
    first, second = ModelActivation.objects.order_by("id")
    assert (first.version, first.previous, first.by, first.source) == (a, None, admin_user, "activation")
    assert (second.version, second.previous, second.by) == (b, first, other)

    activations = AuditRecord.objects.filter(action="triage_model_activate").order_by("id")
    assert [(r.object_id, r.actor_id, r.before, r.after["active"], r.after["activation"]) for r in activations] == [
        (str(a.pk), admin_user.pk, {"active": None, "activation": None}, a.version, first.pk),
        (str(b.pk), other.pk, {"active": a.version, "activation": first.pk}, b.version, second.pk)]

    assert actions.rollback(by=admin_user) == a
    assert actions.rollback(by=other) is None
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.undone_by == admin_user and first.undone_by == other
    assert second.undone_at <= first.undone_at
    rollbacks = AuditRecord.objects.filter(action="triage_model_rollback").order_by("id")
    assert [(r.object_id, r.actor_id, r.before, r.after) for r in rollbacks] == [
        (str(b.pk), admin_user.pk, {"active": b.version, "activation": second.pk},
         {"active": a.version, "activation": first.pk}),
        (str(a.pk), other.pk, {"active": a.version, "activation": first.pk}, {"active": None, "activation": None})]
    # a refused rollback audits nothing
    with pytest.raises(Conflict):
        actions.rollback(by=admin_user)
    assert AuditRecord.objects.filter(action="triage_model_rollback").count() == 2


# ---------------------------------------------------------------- what the command and the admin show


def test_history_command_and_models_show_the_history(triage_db, files, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    a, b = _version(files["codes"]), _version(files["codes"])
    out = StringIO()
    call_command("triage", "history", stdout=out)
    assert out.getvalue().splitlines() == ["no activations: the keyword rules classify",
                                           "rollback: nothing to undo (the keyword rules classify)"]
    for mv in (a, b, a):
        actions.activate_version(mv)
    ModelActivation.objects.update(at=dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC))
    out = StringIO()
    call_command("triage", "rollback", stdout=out, stderr=StringIO())
    first, second, third = ModelActivation.objects.order_by("id")
    assert out.getvalue().splitlines() == [
        f"active: v{b.version}", f"next rollback: undo #{second.pk} (v{b.version}) → v{a.version} (#{first.pk})"]

    out = StringIO()
    call_command("triage", "history", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"- #{third.pk} category v{a.version}  activated 2026-01-01 08:30+08:00  "
                               f"replaced v{b.version}  rolled back ")
    assert lines[1] == (f"* #{second.pk} category v{b.version}  activated 2026-01-01 08:30+08:00  "
                        f"replaced v{a.version}")
    assert lines[2] == (f"  #{first.pk} category v{a.version}  activated 2026-01-01 08:30+08:00  "
                        f"replaced keyword rules")
    assert lines[3] == f"rollback: undo #{second.pk} (v{b.version}) → v{a.version} (#{first.pk})"

    out = StringIO()
    call_command("triage", "history", "--json", "--limit", "2", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["id"] for r in data["activations"]] == [third.pk, second.pk]
    assert data["activations"][1]["in_effect"] and data["activations"][0]["undone_at"]
    assert data["rollback"] == {"activation": second.pk, "active": b.version, "to_activation": first.pk,
                                "to": a.version, "problem": ""}

    out = StringIO()
    call_command("triage", "models", "--json", stdout=out)
    assert {r["version"]: r["replaced"] for r in json.loads(out.getvalue())} == {a.version: b.version,
                                                                                b.version: a.version}
    out = StringIO()
    call_command("triage", "models", stdout=out)
    assert out.getvalue().splitlines()[-1] == (f"rollback: undo #{second.pk} (v{b.version}) → v{a.version} "
                                               f"(#{first.pk})  (history: triage history)")


ADMIN = "/admin/triage/modelactivation/"


def test_admin_shows_the_history_read_only(triage_db, files, admin_client):
    a, b = _version(files["codes"]), _version(files["codes"])
    for mv in (a, b, a):
        actions.activate_version(mv)
    actions.rollback()
    first, second, third = ModelActivation.objects.order_by("id")

    page = admin_client.get(ADMIN, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "rolled back" in text and "in effect: a rollback undoes this one" in text
    assert "earlier: a rollback returns here in turn" in text and "keyword rules" in text
    assert f"{ADMIN}add/" not in text

    detail = admin_client.get(f"{ADMIN}{second.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get(f"{ADMIN}add/").status_code == 403
    assert admin_client.post(f"{ADMIN}{second.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"{ADMIN}{second.pk}/change/", {"source": "audit"}).status_code == 403
    assert ModelActivation.objects.get(pk=second.pk).source == "activation"

    version_page = admin_client.get(f"/admin/triage/modelversion/{a.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    text = version_page.content.decode()
    assert "activations of this version" in text.lower() and f"v{b.version}" in text
    listing = admin_client.get("/admin/triage/modelversion/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and f"v{b.version}" in listing.content.decode()  # what a last replaced
    assert third.undone_at is not None and first.undone_at is None


# ---------------------------------------------------------------- migration 0004: seeding the history


BEFORE = ("triage", "0003_modelversion_replaced")


@pytest.fixture
def at_0003(transactional_db):
    """The database at triage 0003 (``replaced`` pointers, no history), migrated to the end
    after the test whatever happens; yields the historical models' registry."""
    try:
        yield migrate_to(BEFORE)
    finally:
        migrate_to_the_end()


def _old_versions(apps, n):
    ModelVersion = apps.get_model("triage", "ModelVersion")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [ModelVersion.objects.create(kind="category", version=i, file=f"models/v{i}.skops", sha256="0" * 64,
                                        created_at=t0) for i in range(1, n + 1)]


def _trail(apps, *steps):
    """Audit records as the code before 0004 wrote them: ("activate", mv, before) and
    ("rollback", left, to); one minute apart."""
    AuditRecord = apps.get_model("core", "AuditRecord")
    t0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    for i, (action, mv, other) in enumerate(steps):
        if action == "activate":
            before, after = {"active": other}, {"active": mv.version, "unmatched_labels": []}
        else:
            before, after = {"active": mv.version}, {"active": other}
        AuditRecord.objects.create(at=t0 + dt.timedelta(minutes=i), action=f"triage_model_{action}",
                                   object_type="triage.modelversion", object_id=str(mv.pk), before=before,
                                   after=after)


def _set_active(apps, mv):
    ModelVersion = apps.get_model("triage", "ModelVersion")
    ModelVersion.objects.update(is_active=False)
    ModelVersion.objects.filter(pk=mv.pk).update(is_active=True, activated_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))


def _plan_version():
    """The version number a rollback would return to (``None``: the keyword rules)."""
    top = actions.in_effect()
    return top.previous.version.version if top.previous_id else None


def _history():
    """(version, previous's version, undone?, source) of every row, oldest first."""
    return [(r.version.version, r.previous.version.version if r.previous_id else None, r.undone_at is not None,
             r.source) for r in ModelActivation.objects.select_related("version", "previous__version").order_by("id")]


def test_migration_replays_the_audit_trail(at_0003):
    apps = at_0003
    v1, v2, v3 = _old_versions(apps, 3)
    _trail(apps, ("activate", v1, None), ("activate", v2, 1), ("activate", v3, 2), ("rollback", v3, 2),
           ("activate", v3, 2))
    _set_active(apps, v3)
    migrate_to_the_end()  # through 0004; the tests read today's models
    assert _history() == [(1, None, False, "audit"), (2, 1, False, "audit"), (3, 2, True, "audit"),
                          (3, 2, False, "audit")]
    assert ModelActivation.objects.order_by("id")[0].at == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    assert _plan_version() == 2


def test_migration_keeps_what_the_old_alternating_rollback_did(at_0003):
    """A → B → A → B, then the old rollback four times: A, B, A, B (the flaw). The replay
    follows it; the last one lands on B with nothing of the history below it in effect."""
    apps = at_0003
    a, b = _old_versions(apps, 2)
    _trail(apps, ("activate", a, None), ("activate", b, 1), ("activate", a, 2), ("activate", b, 1),
           ("rollback", b, 1), ("rollback", a, 2), ("rollback", b, 1), ("rollback", a, 2))
    _set_active(apps, b)
    migrate_to_the_end()  # through 0004; the tests read today's models
    assert _history() == [(1, None, True, "audit"), (2, 1, True, "audit"), (1, 2, True, "audit"),
                          (2, 1, True, "audit"), (2, None, False, "inferred")]
    assert _plan_version() is None


def test_migration_without_a_trail_follows_the_replaced_pointers_and_back(at_0003):
    apps = at_0003
    v1, v2, v3, v4 = _old_versions(apps, 4)
    ModelVersion = apps.get_model("triage", "ModelVersion")
    # v4 replaced v2, which replaced v3, which replaced v2 again: the loop is cut
    ModelVersion.objects.filter(pk=v4.pk).update(replaced=v2)
    ModelVersion.objects.filter(pk=v2.pk).update(replaced=v3)
    ModelVersion.objects.filter(pk=v3.pk).update(replaced=v2)
    _set_active(apps, v4)
    migrate_to_the_end()  # through 0004; the tests read today's models
    assert _history() == [(3, None, False, "inferred"), (2, 3, False, "inferred"), (4, 2, False, "inferred")]
    assert ModelActivation.objects.get(version__version=4).at == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

    apps = migrate_to(BEFORE)  # going back fills `replaced` from the history
    replaced = dict(apps.get_model("triage", "ModelVersion").objects.values_list("version", "replaced__version"))
    assert replaced == {1: None, 2: 3, 3: None, 4: 2}


def test_migration_with_nothing_active_leaves_nothing_to_undo(at_0003):
    apps = at_0003
    v1, v2 = _old_versions(apps, 2)
    _trail(apps, ("activate", v1, None), ("activate", v2, 1))  # then deactivated outside the actions
    migrate_to_the_end()  # through 0004; the tests read today's models
    assert _history() == [(1, None, True, "audit"), (2, 1, True, "audit")]
    assert actions.in_effect() is None


def test_admin_rolls_back_the_selected_active_version(triage_db, files, admin_client):
    """The admin's rollback (as `triage rollback`): only with the active version selected; it
    walks the history like the command and says where it landed."""
    a, b = _version(files["codes"]), _version(files["codes"])
    for mv in (a, b):
        actions.activate_version(mv)
    url = "/admin/triage/modelversion/"
    post = {"action": "roll_back", "index": 0}

    def messages_of(res):
        return [(m.level_tag, str(m)) for m in res.context["messages"]]

    res = admin_client.post(url, {**post, "_selected_action": [a.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(res) == [("error", "Select the active model version to roll back.")]
    assert ModelVersion.objects.get(is_active=True) == b

    res = admin_client.post(url, {**post, "_selected_action": [b.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(res) == [("success", f"Rolled back: model version v{a.version} is active now.")]
    assert ModelVersion.objects.get(is_active=True) == a
    res = admin_client.post(url, {**post, "_selected_action": [a.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert messages_of(res) == [("success", "Rolled back: the keyword rules classify now.")]
    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert AuditRecord.objects.filter(action="triage_model_rollback").count() == 2
