"""An ``Idempotency-Key`` on a visit or an inspection (ADR 0105 as amended for matters): a retry
(the same key, the same content) answers the first record with 200 and writes nothing; the
same key sent with other content is the client's mistake, 422 ``idempotency_key_reused`` in
Chinese and English, and nothing is written, never the new content dropped without a word.

The content compared is what the action would write: a visit's method, condition, note and
(when sent) time; an inspection's problems (each with what was found), note, whether they are
reported, the checklist it was read against and (when sent) time. A time left out means
"now", which a retry cannot repeat, so it is no difference."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.errors import UserError
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.events.models import Event
from fengqiao.grid import actions, points
from fengqiao.grid.models import Inspection, Visit

pytestmark = pytest.mark.django_db

PERSONS, POINTS = "/api/v1/key-persons/", "/api/v1/check-points/"


def _hazards() -> int:
    return Event.objects.filter(channel="grid_report").count()


# -- visits ------------------------------------------------------------------------------------

def test_a_visit_key_reused_with_other_content_is_422_and_the_first_visit_stays(api, users, register):
    person = register()
    client = api(users.cadre_xinhu)
    url = f"{PERSONS}{person.pk}/visits/"
    first = client.post(url, {"condition": "stable"}, format="json", HTTP_IDEMPOTENCY_KEY="v1")
    assert first.status_code == 201
    resp = client.post(url, {"condition": "attention", "note": "情绪低落"}, format="json", HTTP_IDEMPOTENCY_KEY="v1")
    body = assert_error(resp, 422, "idempotency_key_reused")
    assert body["field"] == "Idempotency-Key" and "幂等键" in body["detail_zh"] and "Idempotency-Key" in body["detail_en"]
    assert list(Visit.objects.filter(person=person).values_list("condition", flat=True)) == ["stable"]
    # the retry of the first one is still answered with it
    again = client.post(url, {"condition": "stable"}, format="json", HTTP_IDEMPOTENCY_KEY="v1")
    assert again.status_code == 200 and again.json()["visit"]["id"] == first.json()["visit"]["id"]
    # with a new key the second visit is recorded
    assert client.post(url, {"condition": "attention", "note": "情绪低落"}, format="json",
                       HTTP_IDEMPOTENCY_KEY="v2").status_code == 201
    assert Visit.objects.filter(person=person).count() == 2


@pytest.mark.parametrize("change", [
    {"method": "phone"}, {"condition": "attention", "note": "x"}, {"note": "另有情况"},
    {"visited_at": "2020-01-01T10:00:00+08:00"}, {"method": "pigeon"},
])
def test_each_part_of_a_visit_counts(person, users, change):
    p = person()
    when = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)
    sent = {"method": "home", "condition": "stable", "note": "一切正常", "visited_at": when.isoformat()}
    first = actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="k", **sent)
    with pytest.raises(UserError) as exc:
        actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="k", **{**sent, **change})
    assert (exc.value.code, exc.value.status) == ("idempotency_key_reused", 422)
    assert list(Visit.objects.filter(person=p)) == [first]


def test_a_visit_retried_as_sent_is_answered_with_the_first(person, users):
    p = person()
    when = timezone.localtime(timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0, tzinfo=None)
    sent = {"method": "phone", "condition": "attention", "note": " 情绪低落\n需再访 ", "visited_at": when.isoformat()}
    first = actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="k", **sent)
    # the same again (the note's spaces around it are no part of it), and without the time: "now"
    for again in ({**sent, "note": "情绪低落\n需再访"}, {**sent, "visited_at": None}):
        done = actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="k", **again)
        assert done.repeated and done.pk == first.pk
    assert Visit.objects.filter(person=p).count() == 1


def test_a_racing_visit_with_other_content_is_refused_not_swallowed(person, users, monkeypatch):
    """The second request passes the look-up before the first has written; the key's unique
    index refuses its write, and its content is compared with the first visit's."""
    p = person()
    first = actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="race")
    seen, calls = actions._repeat, []

    def late(person_, key):
        calls.append(key)
        return None if len(calls) == 1 else seen(person_, key)

    monkeypatch.setattr(actions, "_repeat", late)
    with pytest.raises(UserError) as exc:
        actions.record_visit(p, by=users.grid_xinhu1, condition="abnormal", note="打人", idempotency_key="race")
    assert exc.value.code == "idempotency_key_reused" and len(calls) == 2
    assert list(Visit.objects.filter(person=p)) == [first]


# -- inspections -------------------------------------------------------------------------------

def test_an_inspection_key_reused_with_other_content_is_422_and_nothing_is_lost(api, users, point):
    p = point()
    client = api(users.grid_xinhu1)
    url = f"{POINTS}{p.pk}/inspect/"
    first = client.post(url, {"problems": []}, format="json", HTTP_IDEMPOTENCY_KEY="ins1")
    assert first.status_code == 201 and first.json()["inspection"]["outcome"] == "passed"
    resp = client.post(url, {"problems": [1], "note": "坏了"}, format="json", HTTP_IDEMPOTENCY_KEY="ins1")
    body = assert_error(resp, 422, "idempotency_key_reused")
    assert body["field"] == "Idempotency-Key"
    assert Inspection.objects.filter(point=p).count() == 1 and _hazards() == 0
    again = client.post(url, {"problems": []}, format="json", HTTP_IDEMPOTENCY_KEY="ins1")
    assert again.status_code == 200 and again.json()["inspection"]["id"] == first.json()["inspection"]["id"]
    # under a key of its own the problem is recorded and reported
    resp = client.post(url, {"problems": [1], "note": "坏了"}, format="json", HTTP_IDEMPOTENCY_KEY="ins2")
    assert resp.status_code == 201 and resp.json()["inspection"]["hazard"] is not None and _hazards() == 1


@pytest.mark.parametrize("change", [
    {"problems": [0, 2]}, {"problems": [{"item": 0, "note": "灭火器过期"}]}, {"problems": []},
    {"note": "另一处问题"}, {"report": False}, {"inspected_at": "2020-01-01T10:00:00+08:00"},
    {"shown_checklist": "0" * 16}, {"problems": [99]},
])
def test_each_part_of_an_inspection_counts(point, users, change):
    p = point()
    sent = {"problems": [0], "note": "消防器材过期", "report": True, "shown_checklist": points.checklist_key(p.checklist)}
    first = points.record_inspection(p, by=users.grid_xinhu1, idempotency_key="k", **sent)
    with pytest.raises(UserError) as exc:
        points.record_inspection(p, by=users.grid_xinhu1, idempotency_key="k", **{**sent, **change})
    assert (exc.value.code, exc.value.status) == ("idempotency_key_reused", 422)
    assert list(Inspection.objects.filter(point=p)) == [first] and _hazards() == 1


def test_an_inspection_retried_as_sent_is_answered_with_the_first_even_after_the_checklist_changed(point, users):
    p = point()
    shown = points.checklist_key(p.checklist)
    sent = {"problems": [{"item": "1", "note": " 堆物 "}], "note": "通道堵塞", "shown_checklist": shown,
            "inspected_at": (timezone.now() - dt.timedelta(hours=1)).isoformat()}
    first = points.record_inspection(p, by=users.grid_xinhu1, idempotency_key="k", **sent)
    points.update_point(p, by=users.cadre_xinhu, checklist=["门卫在岗"])  # the items change meanwhile
    # the retry is read against the checklist the first one was recorded with
    for again in (sent, {**sent, "problems": [{"item": 1, "note": "堆物"}], "inspected_at": ""}):
        done = points.record_inspection(p, by=users.grid_xinhu1, idempotency_key="k", **again)
        assert done.repeated and done.pk == first.pk and done.hazard_id == first.hazard_id
    assert Inspection.objects.filter(point=p).count() == 1 and _hazards() == 1


def test_a_racing_inspection_with_other_content_is_refused_not_swallowed(point, users, monkeypatch):
    p = point()
    real, calls = points._repeat, {"n": 0}

    def racing(point_, key):
        calls["n"] += 1
        if calls["n"] == 1:  # the first look-up of the second request: the first is written now
            monkeypatch.setattr(points, "_repeat", real)
            points.record_inspection(p, by=users.grid_xinhu1, idempotency_key="same")
            return None
        return real(point_, key)

    monkeypatch.setattr(points, "_repeat", racing)
    with pytest.raises(UserError) as exc:
        points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[1], idempotency_key="same")
    assert exc.value.code == "idempotency_key_reused"
    assert Inspection.objects.filter(point=p).count() == 1 and _hazards() == 0


def test_a_console_form_sent_again_with_other_content_says_so_and_offers_a_new_form(client, users, person):
    import re

    p = person()
    client.force_login(users.grid_xinhu1)
    url = f"/grid/key-persons/{p.pk}/"
    html = client.get(url).content.decode()
    key = re.search(r'name="idempotency_key" value="(\w+)"', html).group(1)
    assert client.post(f"{url}visit/", {"method": "home", "condition": "stable", "idempotency_key": key}).status_code \
        == 302
    # back in the browser, the form changed and sent again with its old key
    resp = client.post(f"{url}visit/", {"method": "home", "condition": "attention", "note": "情绪低落",
                                        "idempotency_key": key})
    html = resp.content.decode()
    assert resp.status_code == 422 and "幂等键" in html and "情绪低落" in html
    fresh = re.search(r'name="idempotency_key" value="(\w+)"', html).group(1)
    assert fresh != key
    assert Visit.objects.filter(person=p).count() == 1
