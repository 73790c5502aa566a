"""Regressions from the code review: ids from other jurisdictions, tampered form fields."""

import pytest

from fengqiao.core.errors import UserError
from fengqiao.mediation.actions._common import lock
from fengqiao.mediation.views import _id

pytestmark = pytest.mark.django_db


def test_form_ids_never_raise():
    assert _id("12") == 12
    assert _id("abc") == 0 and _id("²") == 0 and _id("") == 0 and _id(None) == 0
    assert _id("9" * 40) == 0


def test_tampered_version_is_a_user_error():
    with pytest.raises(UserError) as exc:
        lock(10**9, expected_version="x")
    assert exc.value.code == "bad_version" and exc.value.status == 400 and exc.value.field == "version"


@pytest.mark.parametrize("path,param,target", [
    ("/api/v1/mediation/hearings/", "dispute", "dispute"),
    ("/api/v1/mediation/tickets/", "centre", "centre"),
    ("/api/v1/mediation/mediators/", "organisation", "studio"),
    ("/api/v1/mediation/backlog/", "leader", "leader"),
])
def test_a_related_filter_does_not_tell_what_exists_elsewhere(api, users, med, new_dispute, path, param, target):
    """An id outside the caller's jurisdiction and an id that does not exist answer alike."""
    ids = {"dispute": new_dispute().pk, "centre": med.centre.pk, "studio": med.studio.pk, "leader": users.leader.pk}
    client = api(users.town_jiantiao)  # 健跳镇: the records above are 海游街道's
    elsewhere = client.get(path, {param: ids[target]})
    missing = client.get(path, {param: 10**9})
    assert elsewhere.status_code == missing.status_code == 200, (elsewhere.content, missing.content)
    assert elsewhere.json()["count"] == missing.json()["count"] == 0


def test_the_related_filter_still_filters_inside_the_jurisdiction(api, users, med):
    from fengqiao.mediation import actions

    actions.take_ticket(centre=med.centre, by=users.town_haiyou)
    resp = api(users.town_haiyou).get("/api/v1/mediation/tickets/", {"centre": med.centre.pk})
    assert resp.status_code == 200 and resp.json()["count"] == 1


def test_unmasked_tickets_are_audited(api, users, med):
    from fengqiao.core.models import AuditRecord
    from fengqiao.mediation import actions

    t = actions.take_ticket(centre=med.centre, by=users.town_haiyou, visitor_name="李四", visitor_phone="13812345678")
    actions.take_ticket(centre=med.centre, by=users.town_haiyou, visitor_name="王五")
    actions.take_ticket(centre=med.centre, by=users.town_haiyou)  # nothing personal: not named
    client = api(users.town_haiyou)
    masked = client.get("/api/v1/mediation/tickets/").json()["results"]
    assert "13812345678" not in str(masked) and not AuditRecord.objects.filter(action="view_personal").exists()

    shown = client.get("/api/v1/mediation/tickets/", {"unmask": "1"}).json()["results"]
    assert "13812345678" in str(shown)
    rec = AuditRecord.objects.get(action="view_personal")
    assert rec.object_type == "mediation.ticket" and len(rec.after["ids"]) == 2 and rec.actor_username == "town_haiyou"

    one = client.get(f"/api/v1/mediation/tickets/{t.pk}/", {"unmask": "1"})
    assert one.json()["visitor_phone"] == "13812345678"
    assert AuditRecord.objects.filter(action="view_personal", object_id=str(t.pk)).count() == 1
