"""From a review of the triage commands and actions: ``rules seed`` audits the co-handlers it
adds to existing rules; a refused activation after ``train --from-db`` or ``register`` says
which version was registered; errors are one line, ``中文 / English``."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.core.errors import UserError
from fengqiao.core.models import AuditRecord
from fengqiao.triage import actions, classifier, training
from fengqiao.triage.models import ModelVersion, RoutingRule
from fengqiao.triage.seed import DEFAULT_ROUTES

from .conftest import synthetic_corpus

pytestmark = pytest.mark.usefixtures("triage_db")

#: the synthetic topics under names that match no category of the county: activation refuses
UNMATCHED = {"交通运输": "交通运输", "教育文体": "教育文体", "环境保护": "商贸旅游"}

FIRE = "消防隐患 → 消防救援大队"
PROPERTY = "物业服务 → 所在社区"


def _seed_record() -> AuditRecord:
    return AuditRecord.objects.filter(action="triage_rules_seed").order_by("-id").first()


def _halves(message: str) -> tuple[str, str]:
    """``中文 / English`` on one line; the English half holds no Chinese sentence (the labels
    named may be Chinese)."""
    assert "\n" not in message and " / " in message, message
    zh, en = message.split(" / ", 1)
    assert re.search(r"[\u4e00-\u9fff]", zh) and "模型" not in en and "标签" not in en, message
    return zh, en


# ---------------------------------------------------------------- rules seed


def test_seed_rules_counts_and_names_the_rules_that_got_co_handlers():
    for name in (FIRE, PROPERTY):
        RoutingRule.objects.get(name=name).cohandlers.clear()
    no_default_co = next(name for name, *_rest, co, _prio in DEFAULT_ROUTES if not co)
    assert not RoutingRule.objects.get(name=no_default_co).cohandlers.exists()  # not counted below

    out = actions.seed_rules()
    assert out == {"keyword_rules": 0, "routing_rules": 0, "cohandlers_added": 2}
    rec = _seed_record()
    assert rec.after == {"keyword_rules": 0, "routing_rules": 0, "cohandlers_added": 2,
                         "cohandlers_added_to": {FIRE: ["ZF"], PROPERTY: ["ZJ"]}}

    assert actions.seed_rules()["cohandlers_added"] == 0  # nothing left to add
    assert _seed_record().after["cohandlers_added_to"] == {}


def test_seed_rules_leaves_co_handlers_a_county_chose_alone_and_does_not_count_them():
    from fengqiao.areas.models import Department

    rule = RoutingRule.objects.get(name=PROPERTY)
    rule.cohandlers.set([Department.objects.get(code="ZF")])
    assert actions.seed_rules()["cohandlers_added"] == 0
    assert list(rule.cohandlers.values_list("code", flat=True)) == ["ZF"]


def test_rules_seed_command_says_how_many_rules_got_co_handlers():
    RoutingRule.objects.get(name=FIRE).cohandlers.clear()
    out = StringIO()
    call_command("triage", "rules", "seed", stdout=out)
    assert out.getvalue().strip() == (
        "created 0 keyword rules, 0 routing rules; co-handlers added to 1 routing rules")
    out = StringIO()
    call_command("triage", "rules", "seed", stdout=out)
    assert out.getvalue().strip() == "created 0 keyword rules, 0 routing rules"


# ---------------------------------------------------------------- registered, not activated


@pytest.fixture
def unmatched_rows(monkeypatch):
    """``train --from-db`` sees labelled matters whose labels are no category: it trains and
    registers a model that activation refuses (it beats the keyword rules, so it is tried even
    without --activate)."""
    texts, labels = synthetic_corpus(30)
    rows = [(i, text, UNMATCHED[label], "label") for i, (text, label) in enumerate(zip(texts, labels, strict=True), 1)]
    monkeypatch.setattr(training, "labelled_rows", lambda limit=None: rows)


def test_train_from_db_says_the_version_was_registered_but_not_activated(unmatched_rows):
    before = ModelVersion.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("triage", "train", "--from-db", "--calibration-folds", "2", "--activate",
                     stdout=StringIO(), stderr=StringIO())
    assert exc.value.returncode == 1
    mv = ModelVersion.objects.order_by("-version").first()
    assert ModelVersion.objects.count() == before + 1 and not mv.is_active and mv.note == "train --from-db"
    zh, en = _halves(str(exc.value))
    assert zh.startswith(f"已登记 v{mv.version}，但未启用: ") and "商贸旅游" in zh
    assert en.startswith(f"registered v{mv.version} but not activated: none of the labels")


def test_a_model_better_on_a_few_held_out_matters_is_registered_not_activated(monkeypatch):
    """A demo county's dozen labelled matters gave a perfect score on 13 held-out ones and a
    model sure of everything: too few to replace the keyword rules on its own."""
    texts, labels = synthetic_corpus(20)
    rows = [(i, text, label, "label") for i, (text, label) in enumerate(zip(texts, labels, strict=True), 1)]
    monkeypatch.setattr(training, "labelled_rows", lambda limit=None: rows)
    before = ModelVersion.objects.count()
    err = StringIO()
    call_command("triage", "train", "--from-db", "--calibration-folds", "2", stdout=StringIO(), stderr=err)
    mv = ModelVersion.objects.order_by("-version").first()
    assert ModelVersion.objects.count() == before + 1 and not mv.is_active
    assert mv.evaluation["heldout_rows"] < training.MIN_HELDOUT_TO_ACTIVATE
    assert f"fewer than {training.MIN_HELDOUT_TO_ACTIVATE} held-out matters" in err.getvalue()


def test_train_from_db_reports_an_error_before_registering_as_it_is(monkeypatch):
    def refuse(**kwargs):
        raise UserError("x", "无法训练", "cannot train")

    monkeypatch.setattr(training, "train_from_db", refuse)
    with pytest.raises(CommandError) as exc:
        call_command("triage", "train", "--from-db", stdout=StringIO(), stderr=StringIO())
    assert str(exc.value) == "无法训练 / cannot train"


def test_register_activate_refused_keeps_each_language_in_its_half(tmp_path):
    texts, labels = synthetic_corpus(20)
    model = classifier.train(texts, [UNMATCHED[x] for x in labels], calibration_folds=2)
    path = tmp_path / "unmatched.skops"
    model.save(path)
    with pytest.raises(CommandError) as exc:
        call_command("triage", "register", str(path), "--activate", stdout=StringIO(), stderr=StringIO())
    mv = ModelVersion.objects.order_by("-version").first()
    assert not mv.is_active
    zh, en = _halves(str(exc.value))
    assert zh.startswith(f"已登记 v{mv.version}，但未启用: ")
    assert en.startswith(f"registered v{mv.version} but not activated: none of the labels")
