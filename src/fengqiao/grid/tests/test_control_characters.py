"""Control characters in what the grid registries store: none (C0, DEL, C1) in a name, an ID
number, a phone number or another one-line text (an address, a check-point's name, what was
found at one checklist item), nor a line or paragraph separator; a note of several lines
(a note, a visit's or an inspection's note, a reason) may hold tabs and line breaks but no other
control character. Each refusal is a bilingual 400 naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from fengqiao.core.errors import UserError
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.grid import actions, points
from fengqiao.grid.models import CheckPoint, Inspection, KeyPerson, Visit

from .conftest import XINHU, id_number

pytestmark = pytest.mark.django_db

PERSONS, POINTS = "/api/v1/key-persons/", "/api/v1/check-points/"
#: one of each: C0 (BEL, ESC, and the white space a one-line text never holds), DEL, C1 (NEL, CSI)
CONTROLS = ["\x07", "\x1b", "\x01", "\t", "\n", "\r", "\x0b", "\x7f", "\x85", "\x9b"]


@pytest.mark.parametrize("ch", CONTROLS)
def test_a_name_with_a_control_character_is_refused_by_the_api(api, users, ch):
    before = KeyPerson.objects.count()
    resp = api(users.cadre_xinhu).post(PERSONS, {"name": f"a{ch}b", "category": "drug_user", "area": XINHU},
                                       format="json")
    body = assert_error(resp, 400, "bad_value")
    assert body["field"] == "name" and KeyPerson.objects.count() == before


@pytest.mark.parametrize("field,value", [
    ("id_number", lambda: id_number()[:6] + "\x07" + id_number()[6:]),
    ("id_number", lambda: id_number() + "\x1b"),
    ("phone", lambda: "139\x001112222"),
    ("phone", lambda: "139\t1111 2222"),
    ("phone", lambda: "1391111\x852222"),
    ("address", lambda: "心湖路\x071号"),
    ("address", lambda: "心湖路\n1号"),
    ("address", lambda: "心湖路\u20281号"),
])
def test_one_line_fields_of_a_key_person_hold_no_control_character(register, field, value):
    before = KeyPerson.objects.count()
    with pytest.raises(UserError) as exc:
        register(**{field: value()})
    assert exc.value.status == 400 and exc.value.field == field and exc.value.zh and exc.value.en
    assert KeyPerson.objects.count() == before


def test_a_note_keeps_its_lines_and_tabs_but_no_other_control_character(register, users):
    p = register(note="第一行\r\n\t第二行")
    assert p.note == "第一行\r\n\t第二行"
    for bad in ("响铃\x07", "删除\x7f", "C1\x85x", "escape\x1b[31m"):
        with pytest.raises(UserError) as exc:
            actions.update_key_person(p, by=users.county_op, note=bad)
        assert (exc.value.code, exc.value.field) == ("bad_text", "note")
        with pytest.raises(UserError) as exc:
            actions.record_visit(p, by=users.cadre_xinhu, condition="attention", note=bad)
        assert exc.value.field == "note"
        with pytest.raises(UserError) as exc:
            actions.remove_key_person(p, by=users.county_op, reason=bad)
        assert exc.value.field == "reason"
    with pytest.raises(UserError) as exc:
        actions.update_key_person(p, by=users.county_op, phone="139\x0711112222")
    assert exc.value.field == "phone"
    assert not Visit.objects.filter(person=p).exists() and KeyPerson.objects.get(pk=p.pk).version == p.version
    visit = actions.record_visit(p, by=users.cadre_xinhu, condition="attention", note="情绪低落\n\t需再访")
    assert visit.note == "情绪低落\n\t需再访"


@pytest.mark.parametrize("field,value", [("name", "心湖\x07市场"), ("name", "心湖\n市场"), ("address", "心湖路\x1b8号"),
                                         ("note", "备注\x7f")])
def test_a_check_point_s_texts_hold_no_control_character(api, users, field, value):
    before = CheckPoint.objects.count()
    body = {"name": "心湖市场", "kind": "market", "area": XINHU, field: value}
    resp = api(users.cadre_xinhu).post(POINTS, body, format="json")
    assert assert_error(resp, 400, "bad_text")["field"] == field
    assert CheckPoint.objects.count() == before


def test_an_inspection_s_texts_hold_no_control_character(point, users):
    p = point()
    for problems, note, field in (([{"item": 0, "note": "过期\x07"}], "x", "problems"),
                                  ([{"item": 0, "note": "过期\n两具"}], "x", "problems"),
                                  ([0], "过期\x1b", "note")):
        with pytest.raises(UserError) as exc:
            points.record_inspection(p, by=users.grid_xinhu1, problems=problems, note=note)
        assert (exc.value.code, exc.value.field) == ("bad_text", field)
    assert not Inspection.objects.filter(point=p).exists()
    done = points.record_inspection(p, by=users.grid_xinhu1, problems=[0], note="灭火器过期\r\n通道堆物")
    assert done.note == "灭火器过期\r\n通道堆物"


def test_a_refused_name_is_called_a_name_not_its_field():
    from fengqiao.grid import inputs

    with pytest.raises(UserError) as exc:
        inputs.personal("name", "林" * (inputs.MAX_NAME + 1), "landlord_name")
    assert exc.value.field == "landlord_name"  # the form puts it under that box
    assert exc.value.zh.startswith("姓名") and exc.value.en.startswith("the name")
    assert "landlord_name" not in exc.value.zh + exc.value.en
