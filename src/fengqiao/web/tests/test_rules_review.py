"""From a review: the audit page's action filter read ``SELECT DISTINCT action`` over the whole
audit table on every view; the phone page's role rule lived twice (the view refused the auditor,
the menu offered it to grid workers and cadres by its own list)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.core import roles

pytestmark = pytest.mark.django_db


# the audit page's action filter -----------------------------------------------------------------

def _audit_page(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/audit/", params)
    assert resp.status_code == 200
    return resp, [q["sql"] for q in ctx.captured_queries]


def test_the_action_filter_is_built_without_scanning_the_audit_table(client, users):
    from fengqiao.core import audit

    audit.record("event_create", actor=users.county_op, object_type="events.event")
    audit.record("legacy_action", actor=users.admin, object_type="core.thing")  # no list knows it
    client.force_login(users.auditor)
    resp, sqls = _audit_page(client)
    body = resp.content.decode()
    assert not any("DISTINCT" in s.upper() for s in sqls), sqls
    skip_scans = [s for s in sqls if "WITH RECURSIVE" in s.upper()]
    assert len(skip_scans) == 1, sqls
    assert '<option value="event_create">登记事件</option>' in body  # a labelled action
    assert '<option value="event_accept">事件: 受理</option>' in body  # a transition, never recorded here
    assert 'value="workcal.mark_year"' in body and 'value="update_user"' in body  # written, no label
    assert '<option value="legacy_action">legacy_action</option>' in body  # found in the table
    if connection.vendor == "sqlite":  # each step of the skip scan is an index seek, never a scan
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + skip_scans[0])
            plan = [row[-1] for row in cursor.fetchall()]
        touches = [p for p in plan if "core_auditrecord" in p or p.startswith(("SEARCH r", "SCAN r"))]
        assert touches and all(p.startswith("SEARCH") and "audit_action_idx" in p for p in touches), plan
    # the next views read the codes from the memo: no statement over the action column at all
    resp, sqls = _audit_page(client, action="legacy_action")
    body = resp.content.decode()
    assert not any("DISTINCT" in s.upper() or "WITH RECURSIVE" in s.upper() for s in sqls), sqls
    assert '<option value="legacy_action" selected>legacy_action</option>' in body


def test_an_action_asked_for_is_offered_selected(client, users):
    client.force_login(users.auditor)
    resp, _sqls = _audit_page(client, action="not_written_yet")
    assert '<option value="not_written_yet" selected>not_written_yet</option>' in resp.content.decode()
    assert resp.context["page"].paginator.count == 0


# the phone page: one rule for the page and the menu ---------------------------------------------

def test_the_menu_offers_the_phone_page_exactly_to_those_it_opens_for(client):
    from fengqiao.accounts.models import User
    from fengqiao.web.phone import may_use_phone

    seen = {}
    for role in sorted(roles.ALL_ROLES):
        user = User.objects.filter(role=role, is_active=True).order_by("pk").first()
        assert user is not None, f"the demo county has no {role}"
        client.force_login(user)
        menu = client.get("/", follow=True).content.decode()
        assert 'class="topbar"' in menu and 'href="/api/docs/"' in menu, role  # the console's menu
        opens = client.get("/m/").status_code
        assert opens in (200, 403), (role, opens)
        offered = 'href="/m/"' in menu
        assert offered == (opens == 200) == may_use_phone(user), (role, offered, opens)
        seen[role] = offered
    assert {r for r, ok in seen.items() if ok} == {roles.GRID_WORKER, roles.VILLAGE_CADRE}


def test_nobody_signed_out_may_use_the_phone_page():
    from django.contrib.auth.models import AnonymousUser

    from fengqiao.web.phone import may_use_phone

    assert not may_use_phone(AnonymousUser()) and not may_use_phone(None)
