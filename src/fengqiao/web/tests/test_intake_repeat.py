"""A repeat call recognised at intake: saved and merged into the matter it repeats in one step,
so the caller is listed among that matter's reporters. The saved matter is never lost: a merge
that is refused leaves it filed, and the operator is told why."""

from __future__ import annotations

import re
import uuid

import pytest

from fengqiao.events.actions import create_event, perform
from fengqiao.events.choices import State
from fengqiao.events.models import Event
from fengqiao.triage import service

pytestmark = pytest.mark.django_db

FIRST = "健跳镇健中居委会石料厂每天夜里开机，噪声和粉尘很大，附近居民睡不着觉。"
REPEAT = "健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。"


@pytest.fixture(autouse=True)
def _fresh_triage_caches():
    service.reset()
    yield
    service.reset()


def _first(users):
    event, _ = create_event(by=users.county_op, channel="hotline_12345", title="", content=FIRST,
                            reporter_name="王强", reporter_phone="13912340001")
    return event


def _call(client, content=REPEAT, **fields):
    """The intake form sent in English (a Chinese console says the same in Chinese)."""
    return client.post("/matters/new/", {
        "channel": "hotline_12345", "title": "", "content": content, "address": "", "category": "",
        "urgency": "normal", "reporter_name": "林美华", "reporter_phone": "13912341234",
        "idempotency_key": uuid.uuid4().hex, **fields}, HTTP_ACCEPT_LANGUAGE="en")


def _merge_buttons(html: str) -> dict[str, str]:
    return dict(re.findall(r'<button type="submit" form="intake-form" name="merge_into" value="(\d+)"(.*?)</button>',
                           html, flags=re.S))


def test_the_suggestions_offer_an_operator_to_save_the_call_into_the_matter_it_repeats(client, users):
    first = _first(users)
    client.force_login(users.county_op)
    html = client.post("/matters/suggest/", {"content": REPEAT}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    buttons = _merge_buttons(html)
    assert str(first.pk) in buttons
    assert f"save and merge into {first.number}" in buttons[str(first.pk)]
    assert f"merge it into {first.number}?" in buttons[str(first.pk)]  # the confirmation names it
    # the button belongs to the intake form (it sits in the suggestions, outside the form)
    assert 'id="intake-form"' in client.get("/matters/new/").content.decode()


def test_a_grid_worker_gets_no_merge_button(client, users):
    _first(users)
    client.force_login(users.grid_jianzhong1)
    html = client.post("/matters/suggest/", {"content": REPEAT}).content.decode()
    assert "merge_into" not in html


def test_a_matter_that_has_ended_is_offered_without_the_button(client, users):
    first = _first(users)
    perform(first, "reject", by=users.county_op, reason="重复来电")
    client.force_login(users.county_op)
    html = client.post("/matters/suggest/", {"content": REPEAT}).content.decode()
    assert first.number in html and str(first.pk) not in _merge_buttons(html)


def test_saved_and_merged_in_one_step_the_caller_joins_the_matters_reporters(client, users):
    first = _first(users)
    client.force_login(users.county_op)
    before = Event.objects.count()
    resp = _call(client, merge_into=str(first.pk))
    assert resp.status_code == 302 and resp["Location"] == f"/matters/{first.pk}/"  # taken to the matter
    assert Event.objects.count() == before + 1  # the call is filed, never only folded away
    repeat = Event.objects.latest("id")
    assert repeat.state == State.MERGED and repeat.merged_into_id == first.pk
    assert repeat.timeline.filter(action="merge", data__into=first.pk).exists()
    assert first.timeline.filter(action="merged_in", data__from=repeat.pk).exists()
    html = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Saved as {repeat.number} and merged into {first.number}" in html
    block = html[html.index('id="merged-reporters"'):]
    block = block[:block.index("</ul>")]
    assert repeat.number in block and "林" in block and "13912341234" not in block  # masked


def test_a_refused_merge_leaves_the_call_filed_and_says_why(client, users):
    first = _first(users)
    perform(first, "reject", by=users.county_op, reason="重复来电")  # ended while the caller talked
    client.force_login(users.county_op)
    resp = _call(client, merge_into=str(first.pk))
    repeat = Event.objects.latest("id")
    assert resp.status_code == 302 and resp["Location"] == f"/matters/{repeat.pk}/"
    assert repeat.state == State.RECEIVED and repeat.merged_into_id is None
    html = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Saved as {repeat.number}, but not merged" in html and "no longer open" in html


@pytest.mark.parametrize("into", ["999999999", "FQ-not-a-matter", "x" * 5000])
def test_a_target_that_does_not_exist_or_is_garbage_is_named_and_the_call_kept(client, users, into):
    client.force_login(users.county_op)
    resp = _call(client, merge_into=into)
    repeat = Event.objects.latest("id")
    assert resp.status_code == 302 and repeat.state == State.RECEIVED and repeat.content == REPEAT
    html = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "but not merged: no such matter" in html and "x" * 200 not in html


def test_a_nul_in_the_form_is_refused_before_anything_is_filed(client, users):
    client.force_login(users.county_op)
    before = Event.objects.count()
    resp = _call(client, merge_into="12\x00")
    assert resp.status_code == 400 and Event.objects.count() == before


def test_a_matter_outside_the_operators_town_is_not_a_target(client, users):
    other, _ = create_event(by=users.town_haiyou, channel="hotline_12345", title="", content="心湖社区广场噪声扰民",
                            address="海游街道心湖社区")
    client.force_login(users.town_jiantiao)
    _call(client, merge_into=str(other.pk))
    repeat = Event.objects.latest("id")
    assert repeat.state == State.RECEIVED
    assert Event.objects.get(pk=other.pk).timeline.filter(action="merged_in").count() == 0


def test_a_grid_worker_posting_a_merge_files_the_report_and_is_told_it_was_not_merged(client, users):
    first = _first(users)
    client.force_login(users.grid_jianzhong1)
    resp = _call(client, merge_into=str(first.pk), channel="grid_report")
    repeat = Event.objects.latest("id")
    assert resp.status_code == 302 and repeat.state == State.RECEIVED and repeat.merged_into_id is None
    html = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "but not merged" in html and "no such matter" not in html  # the role's refusal, not a look-up's


def test_sending_the_form_twice_files_and_merges_once(client, users):
    first = _first(users)
    client.force_login(users.county_op)
    key = uuid.uuid4().hex
    before = Event.objects.count()
    for _ in range(2):
        _call(client, merge_into=str(first.pk), idempotency_key=key)
    assert Event.objects.count() == before + 1
    assert first.timeline.filter(action="merged_in").count() == 1


LIFT = "海游街道心湖社区金鳌花园3号楼电梯频繁故障，老人被困在电梯里，物业不管。"
LIFT_AGAIN = "心湖社区金鳌花园3号楼电梯又坏了，经常困人，物业一直不修。"


def test_with_automatic_dispatch_on_the_repeat_is_merged_before_anything_dispatches_it(client, users, settings):
    settings.FENGQIAO_AUTO_DISPATCH_CONFIDENCE = 0.1
    first, _ = create_event(by=users.county_op, channel="hotline_12345", title="", content=LIFT,
                            address="海游街道心湖社区", reporter_name="王强", reporter_phone="13912340001")
    first.refresh_from_db()
    assert first.state == State.DISPATCHED  # the control: such a call is dispatched by itself
    client.force_login(users.county_op)
    resp = _call(client, content=LIFT_AGAIN, address="海游街道心湖社区", merge_into=str(first.pk))
    repeat = Event.objects.latest("id")
    assert repeat.state == State.MERGED and repeat.merged_into_id == first.pk
    assert resp["Location"] == f"/matters/{first.pk}/"
    assert not repeat.timeline.filter(action="dispatch").exists()


def test_the_form_sent_again_after_the_merge_lands_on_the_matter_it_joined(client, users):
    first = _first(users)
    client.force_login(users.county_op)
    key = uuid.uuid4().hex
    _call(client, merge_into=str(first.pk), idempotency_key=key)
    again = _call(client, merge_into=str(first.pk), idempotency_key=key)
    assert again["Location"] == f"/matters/{first.pk}/"
    html = client.get(again["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This form was already sent and saved as" in html and "Channel reference" not in html


def test_the_intake_form_is_sent_once_and_reloads_its_suggestions_after_an_error(client, users):
    client.force_login(users.county_op)
    page = client.get("/matters/new/").content.decode()
    assert 'id="intake-form" data-submit-once' in page
    assert 'hx-trigger="load, ' not in page  # nothing typed yet
    refused = _call(client, reporter_phone="12")  # a bad phone number: the form comes back
    assert refused.status_code == 400
    assert 'hx-trigger="load, ' in refused.content.decode()  # its suggestions (and merge buttons) come back too


def test_a_department_handler_who_files_a_matter_is_not_sent_to_a_page_they_cannot_open(client, users):
    client.force_login(users.dept_zhifa)
    before = Event.objects.count()
    resp = _call(client, content="心湖社区菜场门口流动摊贩占道摆摊，影响通行", address="海游街道心湖社区")
    assert Event.objects.count() == before + 1
    assert resp.status_code == 302 and resp["Location"] == "/matters/new/"
    page = client.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Saved as {Event.objects.latest('id').number}. It goes to the centre in charge" in page
