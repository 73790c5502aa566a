"""Key-person registry fixtures: people registered through the registry's own action, and valid
ID numbers."""

from __future__ import annotations

import itertools

import pytest

XINHU, HAIYOU, JIANZHONG, JIANTIAO = "331022001001", "331022001", "331022105001", "331022105"
_serial = itertools.count(1)
_DEFAULT = object()


def make_id(first17: str) -> str:
    """``first17`` completed with its GB 11643 check digit."""
    from fengqiao.core.personal import id_check_digit

    return first17 + id_check_digit(first17)


def id_number(serial: int | None = None) -> str:
    """A valid 18-character ID number, a different one each call."""
    n = next(_serial) if serial is None else serial
    return make_id(f"331022198001{(n % 28) + 1:02d}{n % 1000:03d}")


@pytest.fixture
def person(users):
    """``person(**kw)``: 陈建国 under community correction in 心湖社区, in grid_xinhu1's care,
    registered by the village's cadre; any argument of ``register_key_person`` overrides. The ID
    number is the same each call (a second call is a duplicate unless it passes another one)."""
    from fengqiao.grid.actions import register_key_person

    def make(*, by=None, caretaker=_DEFAULT, **kw):
        values = {"name": "陈建国", "category": "community_correction", "area": XINHU,
                  "id_number": make_id("33102219800101001"), "phone": "13911112222",
                  "caretaker": users.grid_xinhu1 if caretaker is _DEFAULT else caretaker, **kw}
        return register_key_person(by=by or users.cadre_xinhu, **values)

    return make


@pytest.fixture
def register(users):
    """``register(name="王小明", category="community_correction", area=XINHU, by=None, **kw)``: a
    key person registered by the county centre (or ``by``), with an ID number of their own."""
    from fengqiao.grid.actions import register_key_person

    def make(name="王小明", category="community_correction", area=XINHU, *, by=None, **kw):
        kw.setdefault("id_number", id_number())
        kw.setdefault("phone", "13812345678")
        return register_key_person(by=by or users.county_op, name=name, category=category, area=area, **kw)

    return make


def race_past_the_check(monkeypatch, register_first):
    """Let ``register_first()`` register its person right after the next registration's check
    for a second entry has found none, as a second registrar at the same moment would: the
    later registration then meets the unique index. The answer's ``.person`` is the entry
    registered first, ``.clashes`` how often the index refused a later one."""
    from fengqiao.grid import actions

    real = actions._refuse_a_second_entry

    class Race:
        person, started, clashes = None, False, 0

    def racing(by, digest, *, clash=False):
        if clash:
            Race.clashes += 1
        elif not Race.started:
            Race.started = True
            real(by, digest)  # nobody yet
            Race.person = register_first()  # its own check runs here too, and passes
            return None
        return real(by, digest, clash=clash)

    monkeypatch.setattr(actions, "_refuse_a_second_entry", racing)
    return Race


@pytest.fixture
def point(users):
    """``point(**kw)``: 海游街道中心幼儿园 (a school) in 心湖社区, in grid_xinhu1's care, registered by
    the village's cadre with its kind's checklist; any argument of ``register_point`` overrides."""
    from fengqiao.grid.points import register_point

    def make(*, by=None, caretaker=_DEFAULT, **kw):
        values = {"name": "心湖社区幼儿园", "kind": "school", "area": XINHU, "address": "心湖路8号",
                  "caretaker": users.grid_xinhu1 if caretaker is _DEFAULT else caretaker, **kw}
        return register_point(by=by or users.cadre_xinhu, **values)

    return make
