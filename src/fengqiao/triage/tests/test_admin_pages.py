"""What the triage admin shows of what triage and the operators recorded: every field named in
the UI's language, choices shown by their labels, and triage results and category labels
read-only (nobody fabricates or deletes them in the admin)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import override

from fengqiao.events.models import Category
from fengqiao.triage import actions, service
from fengqiao.triage.models import CategoryLabel, RouteSource, TriageResult

from .conftest import new_event

pytestmark = pytest.mark.usefixtures("triage_db")

RESULTS = "/admin/triage/triageresult/"
LABELS = "/admin/triage/categorylabel/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _triaged(users):
    event = new_event(users.county_op, title="流动摊贩占道摆摊", content="海游街道心湖社区菜场门口流动摊贩占道摆摊,影响通行",
                      address="海游街道心湖社区")
    return event, service.triage_event(event)


def test_every_field_of_every_triage_model_has_a_translated_name():
    unnamed = [f"{model.__name__}.{field.name}" for model in apps.get_app_config("triage").get_models()
               for field in model._meta.get_fields()
               if field.concrete and not field.auto_created and not isinstance(field.verbose_name, Promise)]
    assert unnamed == []


def test_the_fields_named_by_the_review_read_in_chinese():
    """Their msgids are the catalogue's already (事件, 模型版本, 流转规则)."""
    names = {f: TriageResult._meta.get_field(f).verbose_name for f in ("event", "model_version", "route_rule")}
    with override("zh-hans"):
        assert {f: str(n) for f, n in names.items()} == {"event": "事件", "model_version": "模型版本",
                                                         "route_rule": "流转规则"}
        assert str(CategoryLabel._meta.get_field("event").verbose_name) == "事件"
    with override("en"):
        assert [str(TriageResult._meta.get_field(f).verbose_name) for f in (
            "text_area", "coordinate_area", "route_area", "route_department")] == [
            "place named in the text", "place of the coordinates", "suggested handling area",
            "suggested handling department"]


def test_route_source_choices_are_the_values_triage_writes():
    """``service.route`` writes rule/history/category (or nothing): each has a label."""
    import inspect

    written = set(re.findall(r'Route\([^"]*?"(\w+)",', inspect.getsource(service), re.S))
    assert written == set(RouteSource.values) == {"rule", "history", "category"}


def test_result_list_names_its_columns_and_the_route_source_filter_by_label(admin_client, users):
    event, result = _triaged(users)
    assert result.route_source == "rule"

    zh = admin_client.get(RESULTS).content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)[^"]*">.*?<a [^>]*>([^<]+)</a>', zh, re.S)
    assert ("matter", "事件") in headers  # by its number: not the citizen's words
    assert not [text for _c, text in headers if re.fullmatch(r"[A-Za-z ]+", text)]

    en = admin_client.get(RESULTS, **EN).content.decode()
    assert "Routing rule" in en and "Matters like this handled before" in en and "The category&#x27;s usual " in en
    assert not re.search(r'\?route_source=\w+"[^>]*>\s*(rule|history|category)\s*<', en)
    filtered = admin_client.get(f"{RESULTS}?route_source=rule", **EN)
    assert filtered.status_code == 200 and f"/admin/triage/triageresult/{result.pk}/change/" in filtered.content.decode()

    detail = admin_client.get(f"{RESULTS}{result.pk}/change/", **EN).content.decode()
    for name in ("Matter", "Model version", "Place named in the text", "Place of the coordinates",
                 "Suggested handling area", "Suggested handling department", "Routing rule"):
        assert f"<label>{name}:</label>" in detail, name


def _read_only(client, url, obj, data):
    listing = client.get(url, **EN)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert f"{url}add/" not in page and 'value="delete_selected"' not in page
    detail = client.get(f"{url}{obj.pk}/change/", **EN)
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode() and f"{url}{obj.pk}/delete/" not in detail.content.decode()
    assert client.get(f"{url}add/").status_code == 403
    assert client.post(f"{url}add/", data).status_code == 403
    assert client.post(f"{url}{obj.pk}/change/", data).status_code == 403
    assert client.get(f"{url}{obj.pk}/delete/").status_code == 403
    assert client.post(f"{url}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    res = client.post(url, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert res.status_code in (200, 302)  # "no action selected": the action does not exist here


def test_triage_results_are_read_only(admin_client, users):
    event, result = _triaged(users)
    before = TriageResult.objects.get(pk=result.pk)
    _read_only(admin_client, RESULTS, result, {"event": event.pk, "classifier": "made up", "needs_person": ""})
    after = TriageResult.objects.get(pk=result.pk)
    assert (after.classifier, after.needs_person, after.categories) == (
        before.classifier, before.needs_person, before.categories)


def test_category_labels_are_read_only_and_a_newer_label_supersedes(admin_client, users):
    event, _result = _triaged(users)
    wrong = Category.objects.get(code="noise.social")
    _event, label = actions.label_event(event, wrong, by=users.county_op)
    _read_only(admin_client, LABELS, label, {"event": event.pk, "category": wrong.pk, "source": "import"})
    assert CategoryLabel.objects.filter(pk=label.pk, category=wrong).exists()

    # a wrong label is corrected by labelling the matter again; training takes the latest one
    from fengqiao.triage.training import labelled_rows

    right = Category.objects.get(code="street_vending.stall")
    event.refresh_from_db()
    actions.label_event(event, right, by=users.county_op)
    assert CategoryLabel.objects.filter(event=event).count() == 2
    assert {r[0]: r[2] for r in labelled_rows()}[event.pk] == "street_vending.stall"


def _names(page: str) -> set[str]:
    """Column headers (without their sorting number), field labels and filter titles of a page."""
    names = re.findall(r'<th scope="col" class="[^"]*column-[^"]*">(.*?)</th>', page, re.S)
    names += re.findall(r"<label[^>]*>([^<]*):</label>", page)
    names += re.findall(r'<details data-filter-title="([^"]*)"', page)
    texts = {re.sub(r"^\d+ ", "", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", n)).strip()) for n in names}
    return {t for t in texts if t}


def _english_names(page: str) -> set[str]:
    return {t for t in _names(page) if not re.search(r"[\u4e00-\u9fff]", t)}


def test_the_chinese_admin_names_every_column_field_and_filter_in_chinese(admin_client, users):
    """On every page of the triage admin. Until ``make messages`` has filled the catalogue from
    triage/i18n_zh.py, its strings may still read in English: nothing else may."""
    from django.utils.text import capfirst

    from fengqiao.triage.i18n_zh import ZH
    from fengqiao.triage.models import KeywordRule, PlaceName, RoutingRule

    event, result = _triaged(users)
    _event, label = actions.label_event(event, Category.objects.get(code="noise.social"), by=users.county_op)
    version = actions.register_version(file="models/none.skops", labels=[], training={"rows": 3},
                                       evaluation={"macro_f1": 0.5})
    place = PlaceName.objects.create(name="测试花园", kind="estate", area=result.area)
    objects = {"triageresult": result, "categorylabel": label, "modelversion": version,
               "keywordrule": KeywordRule.objects.first(), "routingrule": RoutingRule.objects.first(),
               "placename": place}
    pending = {str(capfirst(en)) for en in ZH} | {"ID"}
    english = {}
    for model, obj in objects.items():
        for url in (f"/admin/triage/{model}/", f"/admin/triage/{model}/{obj.pk}/change/"):
            res = admin_client.get(url)
            assert res.status_code == 200, url
            left = _english_names(res.content.decode()) - pending
            if left:
                english[url] = sorted(left)
    assert english == {}
    results = _names(admin_client.get(RESULTS).content.decode())
    assert {"事件", "流转依据", "需人工研判"} <= results  # a header, a filter, both
