"""Population registry fixtures: rental houses and residents registered through the registry's
own actions, with valid ID numbers."""

from __future__ import annotations

import itertools

import pytest

from fengqiao.grid.tests.conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU, make_id

__all__ = ["HAIYOU", "JIANTIAO", "JIANZHONG", "XINHU", "XINHU_GRID", "id_number", "make_id"]

#: 心湖社区第1网格, grid_xinhu1's grid
XINHU_GRID = "331022001001001"
_serial = itertools.count(1)
_DEFAULT = object()


def id_number(serial: int | None = None) -> str:
    """A valid 18-character ID number of someone born in 1990s Henan (a floating resident), a
    different one each call."""
    n = next(_serial) if serial is None else serial
    return make_id(f"41120219{90 + n % 10}0{(n % 9) + 1}{(n % 28) + 1:02d}{n % 1000:03d}")


@pytest.fixture
def house(users):
    """``house(**kw)``: a flat let room by room at 心湖社区 (grid_xinhu1's care) for 6 people,
    registered by the village's cadre; any argument of ``register_house`` overrides. Each call
    gets an address of its own unless one is given."""
    from fengqiao.population.actions import register_house

    serial = itertools.count(1)

    def make(*, by=None, caretaker=_DEFAULT, **kw):
        values = {"area": XINHU, "address": f"三门县海游街道心湖路{next(serial)}号", "kind": "rooms", "rooms": 3,
                  "max_occupants": 6, "landlord_name": "王德福", "landlord_phone": "13805761234",
                  "landlord_id_number": make_id("33102219650302001"),
                  "caretaker": users.grid_xinhu1 if caretaker is _DEFAULT else caretaker, **kw}
        return register_house(by=by or users.cadre_xinhu, **values)

    return make


@pytest.fixture
def resident(users):
    """``resident(**kw)``: a floating resident (李娜, from 河南三门峡, came to work) registered
    by the village's cadre at an address in 心湖社区, with an ID number of their own; pass
    ``house=`` for a tenant. Any argument of ``register_resident`` overrides."""
    from fengqiao.population.actions import register_resident

    def make(*, by=None, **kw):
        values = {"name": "李娜", "kind": "floating", "id_number": id_number(), "phone": "13912345678",
                  "origin": "河南省三门峡市", "reason": "work", **kw}
        if "house" not in kw:
            values.setdefault("area", XINHU)
            values.setdefault("address", "三门县海游街道心湖路88号")
        return register_resident(by=by or users.cadre_xinhu, **values)

    return make
