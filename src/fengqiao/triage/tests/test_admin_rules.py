"""The rule pages of the triage admin (/admin/triage/): keywords typed as plain text, categories
chosen from the active tree, areas and departments found by name, and the keyword-rule list
saying whether its rules classify now."""

from __future__ import annotations

import re
from html import unescape

import pytest

from fengqiao.events.models import Category
from fengqiao.triage import actions, classifier, service
from fengqiao.triage.admin import MAX_KEYWORD_LENGTH, split_keywords
from fengqiao.triage.models import KeywordRule, RoutingRule

from .conftest import HAIYOU, register_copy, synthetic_corpus

pytestmark = pytest.mark.usefixtures("triage_db")

KEYWORDS = "/admin/triage/keywordrule/"
ROUTES = "/admin/triage/routingrule/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _messages(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _select_options(page: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [(v, unescape(t)) for v, t in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)]


def _category(code):
    return Category.objects.get(code=code)


# ---------------------------------------------------------------- keywords as plain text


def test_split_keywords_takes_every_separator_and_drops_blanks_and_repeats():
    assert split_keywords("噪声，石料厂") == ["噪声", "石料厂"]
    assert split_keywords(" 噪声 , 石料厂、粉尘;扬尘；\n\r\n 夜间施工 \n噪声,KTV,ktv,,，") == [
        "噪声", "石料厂", "粉尘", "扬尘", "夜间施工", "KTV"]
    assert split_keywords("") == split_keywords(" ,，、;\n ") == []


def _add_keyword_rule(admin_client, keywords, **extra):
    data = {"category": _category("noise.social").pk, "keywords": keywords, "weight": "1.0", "is_active": "on",
            "note": "admin test", **extra}
    return admin_client.post(f"{KEYWORDS}add/", data, **EN)


def test_keywords_typed_with_chinese_commas_are_saved_as_a_list(admin_client):
    res = _add_keyword_rule(admin_client, "噪声，石料厂、噪声\n 粉尘 ;")
    assert res.status_code == 302, res.content.decode()[:2000]
    rule = KeywordRule.objects.get(note="admin test")
    assert rule.keywords == ["噪声", "石料厂", "粉尘"]

    # the change page shows them the way they are typed, not as JSON
    page = admin_client.get(f"{KEYWORDS}{rule.pk}/change/", **EN).content.decode()
    box = re.search(r'<textarea name="keywords"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert unescape(box).strip() == "噪声、石料厂、粉尘"
    assert "[&quot;" not in box
    # the list too
    listing = admin_client.get(f"{KEYWORDS}?q=admin+test", **EN).content.decode()
    assert "噪声、石料厂、粉尘" in listing

    # saving the page unchanged keeps the list
    res = admin_client.post(f"{KEYWORDS}{rule.pk}/change/", {
        "category": rule.category_id, "keywords": unescape(box), "weight": "2", "is_active": "on",
        "note": "admin test"}, **EN)
    assert res.status_code == 302
    rule.refresh_from_db()
    assert (rule.keywords, rule.weight) == (["噪声", "石料厂", "粉尘"], 2.0)


def test_the_new_keywords_classify_at_once(admin_client):
    assert service.classify("村口石料厂粉尘很大").categories == [] or \
        service.classify("村口石料厂粉尘很大").categories[0]["code"] != "noise.social"
    assert _add_keyword_rule(admin_client, "石料厂，粉尘很大").status_code == 302
    assert service.classify("村口石料厂粉尘很大").categories[0]["code"] == "noise.social"


@pytest.mark.parametrize(("typed", "message"), [
    (" ，、;\n ", "请至少填写一个关键词 / enter at least one keyword"),
    ("", "请至少填写一个关键词 / enter at least one keyword"),
    ("噪声," + "长" * (MAX_KEYWORD_LENGTH + 1),
     f"a keyword may have at most {MAX_KEYWORD_LENGTH} characters: {'长' * 20}…"),
])
def test_an_empty_list_or_an_over_long_keyword_is_refused_in_both_languages(admin_client, typed, message):
    before = KeywordRule.objects.count()
    res = _add_keyword_rule(admin_client, typed)
    assert res.status_code == 200  # the form again, with the message next to the box
    errors = [str(e) for e in res.context["adminform"].form.errors["keywords"]]
    assert len(errors) == 1 and message in errors[0]
    assert re.search(r"[\u4e00-\u9fff]", errors[0]) and " / " in errors[0]
    assert KeywordRule.objects.count() == before


def test_a_nul_character_is_refused_not_saved(admin_client):
    from fengqiao.triage.admin import KeywordRuleForm

    res = _add_keyword_rule(admin_client, "噪声\x00,粉尘")
    assert res.status_code == 400  # the request itself is refused before the form
    assert not KeywordRule.objects.filter(note="admin test").exists()
    form = KeywordRuleForm(data={"category": _category("noise.social").pk, "keywords": "噪声\x00,粉尘",
                                 "weight": "1"})
    assert not form.is_valid() and "keywords" in form.errors


# ---------------------------------------------------------------- category, area, department


def test_the_category_is_chosen_from_the_active_tree_indented(admin_client):
    off = _category("noise.business")
    Category.objects.filter(pk=off.pk).update(is_active=False)
    page = admin_client.get(f"{KEYWORDS}add/", **EN).content.decode()
    assert 'name="category"' in page and 'id="id_category"' in page
    assert 'class="vForeignKeyRawIdAdminField"' not in page
    options = _select_options(page, "category")
    active = list(Category.objects.filter(is_active=True).order_by("path"))
    assert [int(v) for v, _t in options if v] == [c.pk for c in active]
    labels = dict(options)
    for c in active:
        assert labels[str(c.pk)] == "\u3000" * c.depth + c.name
    assert any(c.depth > 0 for c in active) and any(c.depth == 0 for c in active)

    # a rule of a category switched off since still shows it, marked, and saves
    rule = KeywordRule.objects.filter(category=off).first()
    page = admin_client.get(f"{KEYWORDS}{rule.pk}/change/", **EN).content.decode()
    labels = dict(_select_options(page, "category"))
    assert labels[str(off.pk)] == "\u3000" * off.depth + f"{off.name} (inactive)"
    # … but no other rule can pick it
    assert str(off.pk) not in dict(_select_options(admin_client.get(f"{KEYWORDS}add/", **EN).content.decode(),
                                                   "category"))
    res = _add_keyword_rule(admin_client, "酒吧", category=off.pk)
    assert res.status_code == 200 and "category" in res.context["adminform"].form.errors


def test_routing_rule_form_finds_areas_and_departments_by_name(admin_client):
    from fengqiao.areas.models import Area, Department

    page = admin_client.get(f"{ROUTES}add/", **EN).content.decode()
    assert 'class="vForeignKeyRawIdAdminField"' not in page
    for field in ("area", "department"):
        assert re.search(rf'<select name="{field}"[^>]*class="[^"]*admin-autocomplete', page), field
    options = _select_options(page, "category")
    assert options[0] == ("", "---------")  # empty: any category
    assert len(options) == Category.objects.filter(is_active=True).count() + 1

    town = Area.objects.get(code=HAIYOU)
    found = admin_client.get("/admin/autocomplete/", {"app_label": "triage", "model_name": "routingrule",
                                                      "field_name": "area", "term": town.name[:2]}).json()
    assert str(town.pk) in {r["id"] for r in found["results"]}
    zf = Department.objects.get(code="ZF")
    found = admin_client.get("/admin/autocomplete/", {"app_label": "triage", "model_name": "routingrule",
                                                      "field_name": "department", "term": zf.name[-4:]}).json()
    assert str(zf.pk) in {r["id"] for r in found["results"]}

    res = admin_client.post(f"{ROUTES}add/", {
        "name": "admin test route", "category": _category("noise.social").pk, "include_subcategories": "on",
        "area_level": "town", "area": town.pk, "target_level": "", "department": zf.pk, "priority": "5",
        "is_active": "on"}, **EN)
    assert res.status_code == 302, res.content.decode()[:2000]
    rule = RoutingRule.objects.get(name="admin test route")
    assert (rule.area, rule.department, rule.category.code) == (town, zf, "noise.social")


def test_place_name_area_is_found_by_name_too(admin_client):
    page = admin_client.get("/admin/triage/placename/add/", **EN).content.decode()
    assert re.search(r'<select name="area"[^>]*class="[^"]*admin-autocomplete', page)


# ---------------------------------------------------------------- are the keyword rules in use?


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    texts, labels = synthetic_corpus(15)
    codes = {"交通运输": "labour.unpaid_wages", "教育文体": "property.elevator", "环境保护": "environment.smell"}
    model = classifier.train(texts, [codes[x] for x in labels], calibration_folds=2)
    path = tmp_path_factory.mktemp("admin-models") / "m.skops"
    model.save(path)
    return path


def test_the_keyword_rule_list_says_whether_its_rules_are_in_use(admin_client, model_file):
    res = admin_client.get(KEYWORDS, **EN)
    assert res.status_code == 200
    assert _messages(res) == [("info", "The keyword rules classify new matters now: no learned model is active.")]

    mv = register_copy(model_file)
    actions.activate_version(mv)
    service.reset()
    assert service.classify("电梯坏了").classifier == f"model v{mv.version}"
    res = admin_client.get(KEYWORDS, **EN)
    assert _messages(res) == [("warning", f"Model v{mv.version} is active: the keyword rules are not in use now. "
                                          "They classify only when no model is active or the active model's "
                                          "file cannot be used.")]

    # the active model's file is gone: the rules classify again, and the list says so
    mv.path().unlink()
    service.reset()
    assert service.classify("电梯坏了").classifier == "keyword-rules"
    res = admin_client.get(KEYWORDS, **EN)
    (level, text), = _messages(res)
    assert level == "warning" and text.startswith(f"Model v{mv.version} is active but its file cannot be used: "
                                                  "the keyword rules classify new matters now.")

    # once, not again on the next page
    assert _messages(admin_client.get("/admin/triage/", **EN)) == []

