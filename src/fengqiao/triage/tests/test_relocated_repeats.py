"""A relocated matter is looked for as a repeat in its new town, not in the one it left."""

from __future__ import annotations

import pytest

from fengqiao.areas.models import Area
from fengqiao.events.actions import create_event, perform
from fengqiao.triage import service

pytestmark = pytest.mark.django_db(transaction=True)

XINHU, JIANZHONG = "331022001001", "331022105001"
STONE = "石料厂每天夜里开机，噪声和粉尘很大，附近居民睡不着觉。"
REPEAT = "石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。"


@pytest.fixture(autouse=True)
def _fresh(demo_county):
    service.reset()
    yield
    service.reset()


def _matter(by, content, address):
    event, _ = create_event(by=by, channel="hotline_12345", title="", content=content, address=address,
                            reporter_name="林美华", reporter_phone="13912341234")
    return event


def test_a_relocated_matter_is_a_candidate_in_its_new_town_only(users):
    op = users.county_op
    _matter(op, "健中居委会路灯坏了好几天，晚上走路很黑。", "健跳镇健中居委会")  # the new town's index is in use
    placed_wrong = _matter(op, STONE, "海游街道心湖社区")
    assert placed_wrong.area.code == XINHU
    perform(placed_wrong, "relocate", by=op, place=Area.objects.get(code=JIANZHONG))
    in_new_town = _matter(op, REPEAT, "健跳镇健中居委会")
    assert placed_wrong.pk in dict(service.event_duplicates(in_new_town))
    in_old_town = _matter(op, REPEAT, "海游街道心湖社区")
    assert placed_wrong.pk not in dict(service.event_duplicates(in_old_town))


def test_a_matter_another_process_relocated_is_found_at_its_next_catch_up(users, monkeypatch):
    op = users.county_op
    _matter(op, "健中居委会路灯坏了好几天，晚上走路很黑。", "健跳镇健中居委会")  # the new town's index is in use
    placed_wrong = _matter(op, STONE, "海游街道心湖社区")
    # moved by another process: in the database, but this process's index is not told
    monkeypatch.setattr(service, "remember", lambda event: None)
    perform(placed_wrong, "relocate", by=op, place=Area.objects.get(code=JIANZHONG))
    monkeypatch.undo()
    for ti in service._cache["dedupe"].values():
        ti.checked = 0.0  # its catch-up is due
    in_new_town = _matter(op, REPEAT, "健跳镇健中居委会")
    assert placed_wrong.pk in dict(service.event_duplicates(in_new_town))
