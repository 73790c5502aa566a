"""Model lifecycle: register a file, activate, roll back along the activation history, checks
of the file (sha256, labels) and of a model that fails at run time, what ``triage models``
and the admin show."""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.core.errors import UserError
from fengqiao.events.models import Category
from fengqiao.triage import actions, classifier, service, training
from fengqiao.triage.models import ModelVersion, TriageResult

from .conftest import active_number, new_event, register_copy, synthetic_corpus

pytestmark = pytest.mark.usefixtures("triage_db")

#: the synthetic topics relabelled: county category codes, TipDM-style names that match
#: nothing, and a mix (环境保护 is the name of the county's category ``environment``)
CODES = {"交通运输": "labour.unpaid_wages", "教育文体": "property.elevator", "环境保护": "environment.smell"}
NONE = {"交通运输": "交通运输", "教育文体": "教育文体", "环境保护": "商贸旅游"}
PARTIAL = {"交通运输": "交通运输", "教育文体": "教育文体", "环境保护": "环境保护"}


def _train(tmp, name, mapping, n=20):
    texts, labels = synthetic_corpus(n)
    model = classifier.train(texts, [mapping[x] for x in labels], calibration_folds=2, metadata={"files": [
        {"file": f"{name}.csv", "rows": len(texts), "pretokenized": False}]})
    path = tmp / f"{name}.skops"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("models")
    return {
        "codes": _train(tmp, "codes", CODES),
        "codes2": _train(tmp, "codes2", CODES, n=15),
        "none": _train(tmp, "none", NONE),
        "partial": _train(tmp, "partial", PARTIAL),
    }


def _models_dir() -> Path:
    return Path(django_settings.VAR_DIR) / "models"


_version = register_copy
_active = active_number


# ---------------------------------------------------------------- D4 rollback


def test_rollback_returns_to_the_version_active_before(files):
    v = {i: _version(files["codes"]) for i in range(1, 6)}
    actions.activate_version(v[1])
    actions.activate_version(v[5])
    actions.activate_version(v[4])
    assert actions.in_effect().previous.version == v[5]
    assert actions.rollback().version == 5  # not v3, not v1: v5 was active before v4
    assert _active() == 5
    assert actions.in_effect().previous.version == v[1]  # history kept
    assert actions.rollback().version == 1
    assert actions.rollback() is None and _active() is None  # back to the keyword rules
    assert service.classify("老板拖欠工资").classifier == "keyword-rules"
    with pytest.raises(UserError):
        actions.rollback()


def test_rollback_refuses_a_version_that_can_no_longer_be_used(files):
    a, b = _version(files["codes"]), _version(files["codes"])
    actions.activate_version(a)
    actions.activate_version(b)
    a.path().unlink()
    with pytest.raises(UserError) as exc:
        actions.rollback()
    assert exc.value.code == "model_missing" and f"v{a.version}" in exc.value.en
    assert _active() == b.version


# ---------------------------------------------------------------- D5 labels


def test_activation_refuses_a_model_whose_labels_match_no_category(files):
    mv = _version(files["none"])
    with pytest.raises(UserError) as exc:
        actions.activate_version(mv)
    assert exc.value.code == "labels_unmatched" and "商贸旅游" in exc.value.zh
    with pytest.raises(CommandError, match="none of the labels"):
        call_command("triage", "activate", str(mv.version), stdout=StringIO(), stderr=StringIO())
    assert _active() is None


def test_activation_warns_about_labels_that_match_nothing(files):
    mv = _version(files["partial"])
    err = StringIO()
    call_command("triage", "activate", str(mv.version), stdout=StringIO(), stderr=err)
    assert _active() == mv.version
    assert "交通运输" in err.getvalue() and "教育文体" in err.getvalue() and "环境保护" not in err.getvalue()
    assert "match no active category" in err.getvalue()
    assert actions.unmatched_labels(mv.labels) == ["交通运输", "教育文体"]  # 环境保护 matches by name


# ---------------------------------------------------------------- D6 register


def test_register_command_copies_records_and_activates(files):
    src = files["codes"]
    out, err = StringIO(), StringIO()
    call_command("triage", "register", str(src), "--activate", "--json", stdout=out, stderr=err)
    report = json.loads(out.getvalue())
    assert report["activated"] and report["unmatched_labels"] == [] and err.getvalue() == ""
    mv = ModelVersion.objects.get(version=report["version"])
    assert mv.is_active and mv.file.startswith("models/category-") and mv.path().is_file()
    assert mv.path() != src and mv.sha256 == service.sha256_of(src)
    assert mv.training["per_label"] == {code: 20 for code in CODES.values()}
    assert mv.training["files"][0]["file"] == "codes.csv" and mv.training["registered_from"] == str(src)
    assert mv.params["neighbours"]["k"] == 20 and "cv_macro_f1" in mv.evaluation
    assert service.classify("化工厂排放污水，臭气熏天").classifier == f"model v{mv.version}"
    with pytest.raises(CommandError, match="already registered"):
        call_command("triage", "register", str(src), stdout=StringIO())


def test_register_refuses_a_damaged_or_missing_file(tmp_path):
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a model")
    before = sorted(_models_dir().glob("*")) if _models_dir().exists() else []
    for path in (junk, tmp_path / "none.skops"):
        with pytest.raises(CommandError) as exc:
            call_command("triage", "register", str(path), stdout=StringIO())
        head, sep, _tail = str(exc.value).partition(" / ")  # the path has slashes of its own
        assert sep and any("\u4e00" <= ch <= "\u9fff" for ch in head), str(exc.value)
    after = sorted(_models_dir().glob("*")) if _models_dir().exists() else []
    assert after == before and not ModelVersion.objects.exists()


# ---------------------------------------------------------------- D7 usage errors


@pytest.mark.parametrize("extra", [["--data", "x.csv"], ["--out", "m.skops"], ["--text", "title"],
                                   ["--label", "category"]])
def test_train_from_db_refuses_file_options(extra):
    with pytest.raises(CommandError) as exc:
        call_command("triage", "train", "--from-db", *extra, stdout=StringIO())
    assert exc.value.returncode == 2
    assert extra[0] in str(exc.value) and "--from-db" in str(exc.value) and "参数有误" in str(exc.value)


@pytest.mark.parametrize("flag", ["--activate", "--json"])
def test_file_training_refuses_the_from_db_options(flag, tmp_path):
    """``--activate``/``--json`` were silently ignored when training from files."""
    texts, labels = synthetic_corpus(10)
    data = tmp_path / "x.csv"  # trainable, so only the refusal keeps m.skops from being written
    data.write_text("title,body,label\n" + "".join(f"{t[:5]},{t[5:]},{lab}\n" for t, lab in zip(
        texts, labels, strict=True)), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("triage", "train", "--data", str(data), "--out", str(tmp_path / "m.skops"), flag,
                     stdout=StringIO())
    assert exc.value.returncode == 2 and flag in str(exc.value) and "triage register" in str(exc.value)
    assert not (tmp_path / "m.skops").exists()


def test_file_training_keeps_its_default_columns(tmp_path):
    texts, labels = synthetic_corpus(10)
    data = tmp_path / "d.csv"
    data.write_text("title,body,label\n" + "".join(f"{t[:5]},{t[5:]},{lab}\n" for t, lab in zip(
        texts, labels, strict=True)), encoding="utf-8")
    out = StringIO()
    call_command("triage", "train", "--data", str(data), "--out", str(tmp_path / "m.skops"),
                 "--calibration-folds", "2", stdout=out)
    assert "trained 3 labels on 30 raw" in out.getvalue()


# ---------------------------------------------------------------- D9 held-out rows


def test_heldout_split_is_stable_when_labels_are_added():
    rows = [(i, f"text {i}", ("b.one", "c.two", "d.three")[i % 3], "label") for i in range(1, 601)]
    train, test = training.split(rows)
    side = {r[0]: "test" for r in test} | {r[0]: "train" for r in train}
    assert 0.14 < len(test) / len(rows) < 0.26
    # more matters, a new category (sorting first) and one matter relabelled
    more = [(i, f"text {i}", ("a.new", "c.two")[i % 2], "label") for i in range(601, 900)]
    relabelled = [(1, "text 1", "a.new", "label"), *rows[1:]]
    train2, test2 = training.split(relabelled + more)
    side2 = {r[0]: "test" for r in test2} | {r[0]: "train" for r in train2}
    assert {pk: side2[pk] for pk in side} == side


# ---------------------------------------------------------------- D10 / D11 checksums, problems shown


def test_activation_refuses_a_file_that_is_not_the_registered_one(files):
    mv = _version(files["codes"])
    shutil.copyfile(files["codes2"], mv.path())  # a valid model, but not the one registered
    with pytest.raises(UserError) as exc:
        actions.activate_version(mv)
    assert exc.value.code == "model_checksum"


def test_load_version_loads_the_bytes_it_checked(files, monkeypatch):
    """The file is read once: a file swapped after its sha256 was checked is not what loads."""
    mv = _version(files["codes"])
    opened = []
    real_read_bytes = Path.read_bytes

    def read_then_swap(self):
        data = real_read_bytes(self)
        if self == mv.path():
            opened.append(self)
            shutil.copyfile(files["none"], self)  # another valid model replaces it at once
        return data

    monkeypatch.setattr(Path, "read_bytes", read_then_swap)
    model = service.load_version(mv)
    assert opened == [mv.path()]  # read once
    assert sorted(model.labels) == sorted(set(CODES.values()))  # the checked file's model


def test_active_model_with_an_altered_file_falls_back_to_keyword_rules(files, settings, caplog):
    settings.FENGQIAO_TRIAGE_MODEL_CHECK_SECONDS = 0
    mv = _version(files["codes"])
    actions.activate_version(mv)
    assert service.classify("老板拖欠工资").classifier == f"model v{mv.version}"
    shutil.copyfile(files["codes2"], mv.path())
    service.reset()
    with caplog.at_level(logging.ERROR, logger="fengqiao.triage.service"):
        assert service.classify("老板拖欠工资").classifier == "keyword-rules"
        assert service.classify("老板拖欠工资").classifier == "keyword-rules"
    failures = [r for r in caplog.records if "cannot be used" in r.getMessage()]
    assert len(failures) == 1 and "sha256" in failures[0].getMessage()  # logged once, not per matter
    out = StringIO()
    call_command("triage", "models", stdout=out)
    assert "sha256" in out.getvalue() and "keyword rules classify instead" in out.getvalue()
    mv.path().unlink()
    out = StringIO()
    call_command("triage", "models", "--json", stdout=out)
    assert "missing" in json.loads(out.getvalue())[0]["problem"]


# ---------------------------------------------------------------- D13 / D14 what `models` shows


def test_models_shows_parameters_and_local_times(files, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    mv = _version(files["codes"])
    actions.activate_version(mv)
    ModelVersion.objects.filter(pk=mv.pk).update(created_at=dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC))
    out = StringIO()
    call_command("triage", "models", stdout=out)
    text = out.getvalue()
    assert f"* category v{mv.version}  created 2026-01-01 08:30+08:00" in text
    assert "neighbour votes k=20, weight=0.3, floor=0.01, temperature=" in text and "rows=60" in text
    assert "!" not in text
    out = StringIO()
    call_command("triage", "models", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["params"]["neighbours"]["k"] == 20 and row["problem"] == "" and row["active"]
    assert row["created_at"] == "2026-01-01 08:30+08:00"


# ---------------------------------------------------------------- D1 admin


URL = "/admin/triage/modelversion/"


def _admin_messages(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_admin_activate(admin_client, files):
    good = _version(files["codes"])
    partial = _version(files["partial"])
    junk = _models_dir() / "junk.skops"
    junk.write_bytes(b"junk")
    damaged = actions.register_version(file="models/junk.skops", labels=["x"], training={}, evaluation={})
    post = {"action": "activate", "index": 0}

    res = admin_client.post(URL, {**post, "_selected_action": [good.pk, partial.pk]}, follow=True,
                            HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 200 and _active() is None
    assert _admin_messages(res) == [("error", "Select exactly one model version to activate.")]

    res = admin_client.post(URL, {**post, "_selected_action": [damaged.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 200 and _active() is None
    (level, text), = _admin_messages(res)
    assert level == "error" and f"v{damaged.version} was not activated" in text and "cannot be used" in text

    res = admin_client.post(URL, {**post, "_selected_action": [good.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert _admin_messages(res) == [("success", f"Model version v{good.version} is now active.")]
    assert _active() == good.version

    res = admin_client.post(URL, {**post, "_selected_action": [partial.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    levels = dict(_admin_messages(res))
    assert "success" in levels and "交通运输、教育文体" in levels["warning"]
    assert _active() == partial.version

    page = admin_client.get(f"{URL}{good.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "checksum as registered" in page
    good.path().unlink()
    page = admin_client.get(f"{URL}{good.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the model file is missing" in page
    # a registered file's parameters (from its metadata) are shown, the neighbour votes' too
    registered = actions.register_file(files["codes2"])
    page = admin_client.get(f"{URL}{registered.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "neighbour votes k=20, weight=0.3, floor=0.01" in page


# ---------------------------------------------------------------- containment, needs_person


def test_a_model_failing_at_run_time_falls_back_to_keyword_rules(files, users, api, monkeypatch, caplog):
    mv = _version(files["codes"])
    actions.activate_version(mv)

    def explode(self, text, k=3):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(classifier.CategoryModel, "predict_top", explode)
    with caplog.at_level(logging.ERROR, logger="fengqiao.triage.service"):
        c = service.classify("老板拖欠工资三个月了")
    assert c.classifier == "keyword-rules" and c.categories[0]["code"] == "labour.unpaid_wages"
    assert any("failed to classify" in r.getMessage() for r in caplog.records)
    ev = new_event(users.county_op, title="欠薪", content="老板拖欠工资三个月了")  # intake triages it
    r = TriageResult.objects.get(event=ev)
    assert r.error == "" and r.classifier == "keyword-rules"
    res = api(users.county_op).post("/api/v1/triage/suggest/", {"title": "欠薪", "content": "老板拖欠工资三个月了"},
                                    format="json")
    assert res.status_code == 200 and "secret internals" not in res.content.decode()
    assert res.json()["classifier"] == "keyword-rules"


def test_accepting_or_correcting_a_category_clears_needs_person(users, settings):
    settings.FENGQIAO_TRIAGE_CONFIDENCE = 0.99
    op = users.county_op
    ev = new_event(op, title="流动摊贩", content="心湖社区流动摊贩占道")
    assert TriageResult.objects.get(event=ev).needs_person
    actions.label_event(ev, Category.objects.get(code="street_vending.shop"), by=op)
    assert not TriageResult.objects.get(event=ev).needs_person


def test_admin_activation_of_a_model_judged_on_few_matters_warns(admin_client, files):
    """train --from-db leaves such a model registered; the admin may still turn it on, and is
    told what the command said (the demo's 13 held-out matters gave a model sure of everything)."""
    from fengqiao.triage.training import MIN_HELDOUT_TO_ACTIVATE

    few = _version(files["codes"])
    ModelVersion.objects.filter(pk=few.pk).update(evaluation={"n": 13, "macro_f1": 1.0})
    res = admin_client.post(URL, {"action": "activate", "index": 0, "_selected_action": [few.pk]}, follow=True,
                            HTTP_ACCEPT_LANGUAGE="en")
    levels = dict(_admin_messages(res))
    assert _active() == few.version and "success" in levels
    assert "13 held-out matters only" in levels["warning"] and str(MIN_HELDOUT_TO_ACTIVATE) in levels["warning"]
