"""A phone or ID number a party's story holds (the dispute's title, facts and claims) is shown
masked like the parties' own fields unless a role that may unmask asks (ADR 0120); the stored
dispute keeps the words whole, and the unmasked view is audited naming them."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.test import Client

from fengqiao.core.models import AuditRecord
from fengqiao.mediation.models import Dispute

pytestmark = pytest.mark.django_db
B = "/api/v1/mediation"
MOBILE, SHOWN = "13957612345", "139****2345"


@pytest.fixture
def told(new_dispute):
    return new_dispute(title=f"排水沟纠纷 回电{MOBILE}", facts=f"张三丰称李四海堵了排水沟,联系电话{MOBILE}。",
                       claims=f"疏通排水沟,有事打{MOBILE}")


def test_the_api_masks_the_words_for_every_reader_until_unmasked(api, users, told):
    assert Dispute.objects.get(pk=told.pk).facts.endswith(f"{MOBILE}。")
    for user in (users.leader, users.town_haiyou):
        body = api(user).get(f"{B}/disputes/{told.pk}/").json()
        assert SHOWN in body["title"] and SHOWN in body["facts"] and SHOWN in body["claims"], user.username
        listed = api(user).get(f"{B}/disputes/").json()
        assert MOBILE not in json.dumps(body, ensure_ascii=False) + json.dumps(listed, ensure_ascii=False)

    n = AuditRecord.objects.filter(action="view_personal").count()
    body = api(users.town_haiyou).get(f"{B}/disputes/{told.pk}/", {"unmask": 1}).json()
    assert MOBILE in body["facts"] and MOBILE in body["title"]
    rec = AuditRecord.objects.filter(action="view_personal").order_by("-id").first()
    assert AuditRecord.objects.filter(action="view_personal").count() == n + 1
    assert rec.after["fields"] == ["parties", "title", "facts", "claims"]
    # the leader may not unmask
    body = api(users.leader).get(f"{B}/disputes/{told.pk}/", {"unmask": 1}).json()
    assert MOBILE not in body["facts"]


def test_the_console_and_the_register_export_mask_the_words(users, told):
    from openpyxl import load_workbook

    client = Client()
    client.force_login(users.town_haiyou)
    page = client.get(f"/mediation/disputes/{told.pk}/").content.decode()
    assert MOBILE not in page and SHOWN in page
    assert MOBILE not in client.get("/mediation/disputes/").content.decode()
    page = client.get(f"/mediation/disputes/{told.pk}/", {"unmask": 1}).content.decode()
    assert MOBILE in page

    resp = client.get(f"{B}/disputes/export.xlsx")
    assert resp.status_code == 200
    cells = [str(c) for row in load_workbook(BytesIO(resp.content)).active.iter_rows(values_only=True) for c in row]
    assert f"排水沟纠纷 回电{SHOWN}" in cells and not any(MOBILE in c for c in cells)


def test_the_registration_audit_holds_the_words_masked(told):
    rec = AuditRecord.objects.filter(object_id=str(told.pk), object_type="mediation.dispute").order_by("id").first()
    text = json.dumps(rec.after, ensure_ascii=False) + rec.object_repr
    assert MOBILE not in text and SHOWN in rec.after["facts"]
