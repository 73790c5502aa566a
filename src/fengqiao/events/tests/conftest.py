"""Helpers for the matters tests: matters are set up through the same actions the product uses."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.areas.models import Area, Department
from fengqiao.events import actions
from fengqiao.events.actions.attachments import add_attachment

HAIYOU = "331022001"
XINHU = "331022001001"
JIANTIAO = "331022105"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


def new_event(by, **kw):
    data = {"channel": "hotline_12345", "title": "小区门口夜间烧烤噪音扰民", "content": "海游街道心湖社区某小区门口烧烤摊每晚营业到凌晨,噪音大。",
            "address": "海游街道心湖社区"}
    data.update(kw)
    event, _created = actions.create_event(by=by, **data)
    return event


def photo(event, by, name="evidence.png"):
    return add_attachment(event, by=by, upload=SimpleUploadedFile(name, PNG, content_type="image/png"))


@pytest.fixture
def make(users):
    """``make(state)`` drives a fresh 12345 matter to ``state`` through the actions."""

    def build(state: str, *, feedback: str = "satisfied", creator: str = "county_op", **kw):
        u = users
        county, town = u.county_op, u.town_haiyou
        ev = new_event(getattr(u, creator), **kw)
        if state == "received":
            return ev
        if state in {"rejected", "cancelled"}:
            return (actions.reject_event if state == "rejected" else actions.cancel_event)(ev, by=county, reason="测试")
        if state == "merged":
            other = new_event(county, title="另一件")
            return actions.merge_event(ev, by=county, into=other)
        actions.accept_event(ev, by=county)
        if state == "accepted":
            return ev
        actions.dispatch_event(ev, to_unit=area(HAIYOU), by=county)
        if state == "dispatched":
            return ev
        actions.sign_event(ev, by=town)
        if state == "signed":
            return ev
        actions.start_event(ev, by=town)
        if state == "in_progress":
            return ev
        actions.resolve_event(ev, by=town, result="已劝导摊主,移至夜市")
        if state == "resolved":
            return ev
        actions.verify_event(ev, by=county, feedback=feedback)
        if state == "verified":
            return ev
        actions.close_event(ev, by=county, reason="已按政策答复")
        assert state == "closed"
        return ev

    return build
