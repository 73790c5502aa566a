"""Phone and ID numbers a citizen types into a matter's words are personal data like the
reporter's own fields (DOMAIN.md, *Personal data*; ADR 0120): every reader sees them masked, on
every surface, unless a role that may unmask asks to, and that view is audited. The stored
matter keeps the citizen's words whole."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from fengqiao.accounts.actions import token_for
from fengqiao.alerts.models import RiskAlert
from fengqiao.core.models import AuditRecord
from fengqiao.core.personal import holds_number, mask_free_text, mask_nested
from fengqiao.events import actions
from fengqiao.events.models import Event, Notification

from .conftest import new_event

pytestmark = pytest.mark.django_db

MOBILE, MOBILE_SHOWN = "13957612345", "139****2345"
ID, ID_SHOWN = "33102319900307123X", "331023********123X"
WORDS = f"心湖社区烧烤摊噪音扰民,回电{MOBILE},身份证{ID}。"
TITLE = f"烧烤噪音 回电{MOBILE}"


def _matter(users, **kw):
    return new_event(users.county_op, **{"title": TITLE, "content": WORDS, **kw})


def _clear(text: str) -> bool:
    return MOBILE in text or ID in text


@pytest.mark.parametrize("text, shown", [
    ("电话13812341234", "电话138****1234"),
    ("电话138-1234-5678", "电话138-****-5678"),
    ("电话138 1234 5678", "电话138 **** 5678"),
    ("电话１３８１２３４５６７８", "电话１３８****５６７８"),  # full-width digits, as phones type them
    ("身份证11010519491231002x", "身份证110105********002x"),
    ("座机0576-83312345", "座机0576-****2345"),
    ("座机0576-8331-2345", "座机0576-****-2345"),
    # what is not a person's number stays as typed
    ("工单20261208000123,12345热线,2026-12-08,门牌138号", None),
    ("编号138123456789", None),  # twelve digits: not a mobile number
])
def test_numbers_in_free_text_are_masked_position_for_position(text, shown):
    assert mask_free_text(text) == (shown or text)
    assert holds_number(text) is (shown is not None)
    assert len(mask_free_text(text)) == len(text)  # evidence spans (alerts) keep their positions


def test_nested_values_are_masked_and_others_kept():
    value = {"note": f"回电{MOBILE}", "n": 3, "list": [ID, None, True]}
    assert mask_nested(value) == {"note": f"回电{MOBILE_SHOWN}", "n": 3, "list": [ID_SHOWN, None, True]}


def test_the_api_shows_the_words_masked_and_unmasks_on_request_with_an_audit(api, users):
    e = _matter(users)
    assert Event.objects.get(pk=e.pk).content == WORDS  # stored whole
    for user in (users.leader, users.town_haiyou, users.county_op):
        body = api(user).get(f"/api/v1/events/{e.pk}/").json()
        assert MOBILE_SHOWN in body["title"] and ID_SHOWN in body["content"], user.username
        assert not _clear(json.dumps(body, ensure_ascii=False))
        listed = api(user).get("/api/v1/events/", {"q": "烧烤噪音"}).json()
        assert any(r["id"] == e.pk for r in listed["results"])
        assert not _clear(json.dumps(listed, ensure_ascii=False))

    before = AuditRecord.objects.filter(action="view_personal").count()
    body = api(users.county_op).get(f"/api/v1/events/{e.pk}/", {"unmask": "1"}).json()
    assert body["content"] == WORDS and body["title"] == TITLE
    rec = AuditRecord.objects.filter(action="view_personal").order_by("-id").first()
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 1
    assert rec.object_id == str(e.pk) and {"title", "content"} <= set(rec.after["fields"])
    # a leader may not unmask: the flag is ignored and nothing is recorded
    body = api(users.leader).get(f"/api/v1/events/{e.pk}/", {"unmask": "1"}).json()
    assert not _clear(json.dumps(body, ensure_ascii=False))
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 1


def test_a_matter_without_numbers_unmasked_in_a_list_records_nothing_for_it(api, users):
    plain = new_event(users.county_op, title="路灯不亮", content="心湖社区路灯不亮很久了", address="")
    before = AuditRecord.objects.filter(action="view_personal").count()
    api(users.county_op).get(f"/api/v1/events/{plain.pk}/", {"unmask": "1"})
    assert AuditRecord.objects.filter(action="view_personal").count() == before


def test_action_words_are_masked_in_the_timeline_the_audit_and_the_answer(api, users, make):
    e = make("in_progress")
    result = f"已联系当事人{MOBILE},现场整改完毕"
    client = api(users.town_haiyou)
    resp = client.post(f"/api/v1/events/{e.pk}/actions/", {"action": "resolve", "result": result}, format="json")
    assert resp.status_code == 200, resp.content
    assert MOBILE_SHOWN in resp.json()["result"] and not _clear(resp.content.decode())
    assert Event.objects.get(pk=e.pk).result == result
    rec = AuditRecord.objects.filter(action="event_resolve", object_id=str(e.pk)).get()
    assert not _clear(json.dumps(rec.after, ensure_ascii=False)) and MOBILE_SHOWN in rec.after["result"]

    timeline = client.get(f"/api/v1/events/{e.pk}/timeline/").json()
    assert not _clear(json.dumps(timeline, ensure_ascii=False))
    assert any(MOBILE_SHOWN in (t["reason"] or "") for t in timeline)
    before = AuditRecord.objects.filter(action="view_personal").count()
    timeline = client.get(f"/api/v1/events/{e.pk}/timeline/", {"unmask": "1"}).json()
    assert any(MOBILE in (t["reason"] or "") for t in timeline)
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 1


def test_the_intake_audit_record_holds_the_words_masked(users):
    e = _matter(users)
    rec = AuditRecord.objects.get(action="event_create", object_id=str(e.pk))
    text = json.dumps(rec.after, ensure_ascii=False) + rec.object_repr
    assert not _clear(text) and ID_SHOWN in rec.after["content"] and MOBILE_SHOWN in rec.after["title"]


def test_the_receipt_and_notifications_carry_the_title_masked(api, users):
    resp = api(users.county_op).post("/api/v1/events/", {"channel": "hotline_12345", "title": TITLE, "content": WORDS,
                                                         "urgency": "urgent"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["title"] == mask_free_text(TITLE)
    e = Event.objects.get(pk=resp.json()["id"])
    actions.perform(e, "accept", by=users.county_op)
    for n in Notification.objects.filter(event=e):
        assert not _clear(n.title + n.body), n.title


def test_the_console_masks_the_words_and_the_unmasked_page_is_recorded(users, make):
    e = _matter(users)
    client = Client()
    client.force_login(users.county_op)
    page = client.get(f"/matters/{e.pk}/").content.decode()
    assert not _clear(page) and MOBILE_SHOWN in page and ID_SHOWN in page
    assert 'id="words-masked"' in page and "?unmask=1" in page
    listed = client.get("/matters/", {"q": "烧烤噪音"}).content.decode()
    assert f"/matters/{e.pk}/" in listed and not _clear(listed)

    before = AuditRecord.objects.filter(action="view_personal", object_id=str(e.pk)).count()
    page = client.get(f"/matters/{e.pk}/", {"unmask": "1"}).content.decode()
    assert MOBILE in page and ID in page and 'id="words-masked"' not in page
    rec = AuditRecord.objects.filter(action="view_personal", object_id=str(e.pk)).order_by("-id").first()
    assert AuditRecord.objects.filter(action="view_personal", object_id=str(e.pk)).count() == before + 1
    assert {"title", "content"} <= set(rec.after["fields"])

    # a leader reads the matter masked and cannot unmask it
    client.force_login(users.leader)
    page = client.get(f"/matters/{e.pk}/", {"unmask": "1"}).content.decode()
    assert not _clear(page) and 'id="words-masked"' in page


def test_the_export_masks_the_title(users):
    from io import BytesIO

    from openpyxl import load_workbook

    e = _matter(users)
    client = Client()
    client.force_login(users.county_op)
    resp = client.get("/matters/export.xlsx", {"q": "烧烤噪音"})
    assert resp.status_code == 200
    cells = [str(c) for row in load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True) for c in row]
    assert any(mask_free_text(TITLE) == c for c in cells), e.number
    assert not any(_clear(c) for c in cells)


def test_open311_shows_an_outside_client_the_words_masked(client, users):
    e = _matter(users)
    key = token_for(users.county_op)
    resp = client.get(f"/open311/v2/requests/{e.pk}.json", {"api_key": key})
    assert resp.status_code == 200, resp.content
    assert not _clear(resp.content.decode()) and ID_SHOWN in resp.json()[0]["description"]


def test_a_risk_alert_quotes_the_title_masked(users):
    from fengqiao.alerts import scan

    e = _matter(users, title=f"宅基地纠纷 回电{MOBILE}", content=f"邻居扬言再不解决就同归于尽,电话{MOBILE}。")
    scan.run()
    alerts = RiskAlert.objects.filter(evidence__event=e.pk)
    assert alerts.exists()
    for a in alerts:
        assert not _clear(a.title + json.dumps(a.evidence, ensure_ascii=False)), a.title
