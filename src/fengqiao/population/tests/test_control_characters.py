"""Control characters in the population registry: none (C0, DEL, C1) in a name, an ID number, a
phone number, where a person comes from, or a landlord's; an address's white space (a tab or
line break pasted in) is made one space as before, any other control character refused; a note
or a reason may hold tabs and line breaks only. Each refusal is a bilingual 400 naming the
field, and nothing is written."""

from __future__ import annotations

import pytest

from fengqiao.core.errors import UserError
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.population import actions
from fengqiao.population.models import RentalHouse, Resident

from .conftest import XINHU, id_number, make_id

pytestmark = pytest.mark.django_db

HOUSES, RESIDENTS = "/api/v1/rental-houses/", "/api/v1/residents/"


@pytest.mark.parametrize("ch", ["\x1b", "\x07", "\t", "\n", "\x7f", "\x85"])
def test_a_resident_named_with_a_control_character_is_refused_by_the_api(api, users, ch):
    body = {"name": f"a{ch}b", "kind": "floating", "id_number": id_number(), "area": XINHU, "address": "心湖路1号"}
    resp = api(users.cadre_xinhu).post(RESIDENTS, body, format="json")
    assert assert_error(resp, 400)["field"] == "name"
    assert not Resident.objects.exists()


@pytest.mark.parametrize("bad", [
    {"id_number": "\x07" + make_id("41120219950315123")}, {"phone": "139\x1b12345678"}, {"phone": "139\t1234 5678"},
    {"origin": "河南\x07三门峡"}, {"origin": "河南\n三门峡"}, {"address": "心湖路\x071号"}, {"address": "心湖路\x9b1号"},
    {"address": "心湖路\x1c1号"}, {"address": "心湖路\x851号"}, {"address": "心湖路\x0b1号"},
    {"note": "备注\x07"}, {"note": "备\x85注"},
])
def test_a_resident_s_fields_hold_no_control_character(resident, bad):
    with pytest.raises(UserError) as exc:
        resident(**bad)
    assert exc.value.status == 400 and exc.value.field == next(iter(bad)) and exc.value.zh and exc.value.en
    assert not Resident.objects.exists()


@pytest.mark.parametrize("bad", [
    {"landlord_name": "王\x07德福"}, {"landlord_id_number": make_id("33102219650302001") + "\x7f"},
    {"landlord_phone": "13805761234\x1b"}, {"address": "心湖路\x1b[31m1号"}, {"note": "\x07"},
])
def test_a_house_s_fields_hold_no_control_character(house, bad):
    with pytest.raises(UserError) as exc:
        house(**bad)
    assert exc.value.status == 400 and exc.value.field == next(iter(bad))
    assert not RentalHouse.objects.exists()


def test_notes_and_reasons_keep_their_lines_and_an_address_its_words(house, resident, users):
    h = house(address="心湖路\t5号\n2幢", note="第一行\r\n\t第二行")
    assert (h.address, h.note) == ("心湖路 5号 2幢", "第一行\r\n\t第二行")
    r = resident(note="租住\n三个月")
    assert r.note == "租住\n三个月"
    with pytest.raises(UserError) as exc:
        actions.move_out_resident(r, by=users.cadre_xinhu, reason="left", note="走了\x07")
    assert exc.value.field == "note"
    with pytest.raises(UserError) as exc:
        actions.update_resident(r, by=users.cadre_xinhu, phone="139\x0712345678")
    assert exc.value.field == "phone"
    r = actions.move_out_resident(r, by=users.cadre_xinhu, reason="left", note="回老家\n不再回来")
    assert r.move_out_note == "回老家\n不再回来"
    with pytest.raises(UserError) as exc:
        actions.remove_house(h, by=users.cadre_xinhu, reason="拆迁\x1b")
    assert exc.value.field == "reason"
