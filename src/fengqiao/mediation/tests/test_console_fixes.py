"""Regressions from using the demo console: recording a scheduled session, forms that keep what
was typed, readable error messages, source labels, a mediator's own registrations, the
agreement PDF (full names for those who produce it, glyphs the font lacks), sessions in the past,
one series of dispute numbers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from fengqiao.core.errors import UserError
from fengqiao.mediation import actions
from fengqiao.mediation.models import Dispute, Session

from .test_flow import pdf_text

pytestmark = pytest.mark.django_db


def _in_mediation(new_dispute, users, med, **kw):
    d = new_dispute(**kw)
    actions.act(d, "accept", by=users.town_haiyou)
    actions.act(d, "assign", by=users.town_haiyou, params={"mediators": [med.cai.pk]})
    actions.act(d, "start", by=users.mediator)
    return d


def _act(client, d, action, **fields):
    d.refresh_from_db()
    return client.post(f"/mediation/disputes/{d.pk}/act/", {"action": action, "version": d.version, **fields})


# 1. 记录调解 offers the scheduled session, prefills its place, and completes that session.
def test_console_records_the_scheduled_session_and_reaches_success(client, users, med, new_dispute):
    d = _in_mediation(new_dispute, users, med)
    actions.act(d, "schedule_session", by=users.mediator,
                params={"held_at": timezone.now().isoformat(), "place": "老蔡调解工作室"})
    scheduled = Session.objects.get(dispute=d)
    client.force_login(users.mediator)
    page = client.get(f"/mediation/disputes/{d.pk}/").content.decode()
    form = page[page.index('id="act-record_session"'):]
    form = form[:form.index("</form>")]
    assert re.search(rf'<option value="{scheduled.pk}" data-place="老蔡调解工作室" selected>', form)
    assert re.search(r'<input name="place" type="text" value="老蔡调解工作室"', form)

    r = _act(client, d, "record_session", session=str(scheduled.pk), place="老蔡调解工作室", held_at="",
             minutes="双方同意疏通排水沟。")
    assert r.status_code == 302, r.content.decode()[:500]
    assert Session.objects.filter(dispute=d).count() == 1  # the scheduled one, not a new one
    scheduled.refresh_from_db()
    assert scheduled.status == "held" and scheduled.minutes == "双方同意疏通排水沟。"

    r = _act(client, d, "succeed", terms="李四海于十日内疏通排水沟。", amount_recovered="1500")
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.state == "succeeded" and str(d.amount_recovered) == "1500.00"


def test_console_records_an_unscheduled_session(client, users, med, new_dispute):
    d = _in_mediation(new_dispute, users, med)
    client.force_login(users.mediator)
    r = _act(client, d, "record_session", session="", place="心湖社区调解室", held_at="", minutes="当场调解。")
    assert r.status_code == 302
    s = Session.objects.get(dispute=d)
    assert s.status == "held" and s.place == "心湖社区调解室"


# 2. A refused action shows the page again with what was typed; so does the register form.
def test_a_refused_action_keeps_the_typed_text(client, users, med, new_dispute):
    d = _in_mediation(new_dispute, users, med)
    client.force_login(users.mediator)
    r = _act(client, d, "record_session", session="", place="", minutes="很长的一段调解笔录")
    assert r.status_code == 400
    page = r.content.decode()
    assert "请填写地点" in page and "很长的一段调解笔录</textarea>" in page
    assert not Session.objects.filter(dispute=d).exists()


def test_register_form_keeps_every_field_after_an_error(client, users, med):
    client.force_login(users.town_haiyou)
    form = {"type": "neighbour_noise", "area": "331022001001", "title": "噪音纠纷", "facts": "楼上装修噪音",
            "claims": "停止夜间施工", "amount": "-5", "applicant_name": "赵六", "applicant_phone": "13700001111",
            "applicant_id": "", "respondent_name": "钱七", "respondent_phone": "13900002222"}
    r = client.post("/mediation/register/", form)
    assert r.status_code == 400
    page = r.content.decode()
    assert "涉及金额不是有效金额" in page
    assert '<option value="neighbour_noise" selected>' in page
    assert '<option value="331022001001" selected>' in page
    for value in ("噪音纠纷", "楼上装修噪音", "停止夜间施工", 'value="-5"', 'value="赵六"', 'value="13700001111"',
                  'value="钱七"', 'value="13900002222"'):
        assert value in page, value
    assert not Dispute.objects.filter(is_demo=False).exists()


# 3. Messages name the field as users know it, in the user's language, and say what is wrong.
@pytest.mark.parametrize("action,params,zh,en", [
    ("schedule_session", {"held_at": "2099-01-01T10:00"}, "请填写地点", "Place is required"),
    ("succeed", {}, "请填写协议内容", "Terms of the agreement is required"),
    ("succeed", {"terms": "x", "amount_recovered": "abc"}, "协议/挽回金额不是有效金额",
     "Amount agreed/recovered is not a valid amount"),
    ("comment", {"text": "x" * 5001}, "备注内容过长:最多 5000 字", "Comment is too long: at most 5000"),
])
def test_error_messages_use_field_labels(users, med, new_dispute, action, params, zh, en):
    d = _in_mediation(new_dispute, users, med)
    if action == "succeed":
        actions.act(d, "record_session", by=users.mediator, params={"place": "调解室", "minutes": "m"})
    with pytest.raises(UserError) as exc:
        actions.act(d, action, by=users.mediator, params=params)
    assert zh in exc.value.zh and en in exc.value.en
    with translation.override("en"):
        assert en in exc.value.message()
    with translation.override("zh-hans"):
        assert zh in exc.value.message()


def test_facts_too_long_names_the_field(users, med, new_dispute):
    with pytest.raises(UserError) as exc:
        new_dispute(facts="事" * 20001)
    assert "纠纷事实过长" in exc.value.zh and "Facts is too long" in exc.value.en and "facts" not in exc.value.zh


# 4. The statistics by source show the choice labels.
def test_stats_by_source_shows_labels(client, users, med, new_dispute):
    new_dispute()
    new_dispute(source="screening")
    client.force_login(users.town_haiyou)
    page = client.get("/mediation/stats/").content.decode()
    table = page[page.index("按来源"):]
    assert "来访登记" in table and "网格排查" in table
    assert "<td>walk_in</td>" not in table and "<td>screening</td>" not in table


# 5. A mediator who registers a dispute takes it on: their organisation, and they lead it.
def test_mediator_who_registers_takes_the_case(client, users, med):
    client.force_login(users.mediator)
    r = client.post("/mediation/register/", {"type": "neighbours", "area": "331022001001", "title": "邻里纠纷",
                                             "facts": "事实", "applicant_name": "赵六"})
    assert r.status_code == 302
    d = Dispute.objects.get(is_demo=False)
    assert d.organisation == med.studio
    lead = d.assignments.get()
    assert lead.mediator == med.cai and lead.role == "lead" and lead.result == ""
    from fengqiao.mediation import transitions

    allowed = transitions.allowed_actions(d, users.mediator)
    assert {"accept", "decline", "assign"} <= set(allowed)
    assert d.number in client.get("/mediation/my/").content.decode()
    assert d.timeline.filter(action="assign").exists()


def test_mediator_who_must_stand_aside_is_not_made_lead(users, med, ids):
    from fengqiao.mediation.models import DisputeType

    actions.declare_relative(med.cai, id_number=ids["applicant"], relation="sibling")
    d = actions.register_dispute(by=users.mediator, type=DisputeType.objects.get(code="neighbours"), title="t",
                                 facts="f", area=med.xinhu,
                                 parties=[{"side": "applicant", "name": "张三丰", "id_number": ids["applicant"]}])
    assert d.organisation == med.studio and not d.assignments.exists()


def test_operator_registration_unchanged(users, med, new_dispute):
    d = new_dispute()
    assert d.organisation is None and not d.assignments.exists()


# 6. The agreement carries full names for those who produce it (audited); glyphs the font lacks.
def test_agreement_pdf_full_names_for_its_producers(client, users, med, new_dispute, tmp_path):
    from fengqiao.core.models import AuditRecord
    from fengqiao.mediation.pdf import MISSING_GLYPH

    d = _in_mediation(new_dispute, users, med)
    actions.act(d, "record_session", by=users.mediator, params={"place": "调解室", "minutes": "m"})
    actions.act(d, "succeed", by=users.mediator, params={"terms": "双方和好😀,李四海赔偿1000元👍🏽。"})
    stored = pdf_text(Dispute.objects.get(pk=d.pk).agreement.file.read(), tmp_path)
    assert "张三丰" not in stored  # the stored copy stays masked

    client.force_login(users.mediator)
    before = AuditRecord.objects.filter(action="view_personal").count()
    r = client.get(f"/mediation/disputes/{d.pk}/agreement.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = pdf_text(r.content, tmp_path)
    assert "张三丰" in text and "李四海" in text and "张*" not in text
    assert f"双方和好{MISSING_GLYPH},李四海赔偿1000元{MISSING_GLYPH}。" in text.replace("\n", "")
    assert "😀" not in text
    rec = AuditRecord.objects.filter(action="view_personal").order_by("-id").first()
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 1
    assert rec.after == {"fields": "agreement_pdf"} and rec.actor_username == "mediator"

    # A leader (no personal data) gets the stored masked copy, nothing audited.
    client.force_login(users.leader)
    r = client.get(f"/mediation/disputes/{d.pk}/agreement.pdf")
    assert r.status_code == 200 and "张三丰" not in pdf_text(r.content, tmp_path)
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 1
    # Outside the jurisdiction: 404.
    client.force_login(users.town_jiantiao)
    assert client.get(f"/mediation/disputes/{d.pk}/agreement.pdf").status_code == 404


def test_agreement_pdf_rerendered_when_the_stored_copy_is_gone(client, users, med, new_dispute, tmp_path, caplog):
    """A stored copy missing on disk (a restore without the media directory) is not a 500: the
    masked copy is rendered again from the database, and the fault is logged."""
    d = _in_mediation(new_dispute, users, med)
    actions.act(d, "record_session", by=users.mediator, params={"place": "调解室", "minutes": "m"})
    actions.act(d, "succeed", by=users.mediator, params={"terms": "李四海赔偿1000元。"})
    agreement = Dispute.objects.get(pk=d.pk).agreement
    agreement.file.storage.delete(agreement.file.name)
    client.force_login(users.leader)
    with caplog.at_level("ERROR", logger="fengqiao.mediation.services"):
        r = client.get(f"/mediation/disputes/{d.pk}/agreement.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = pdf_text(r.content, tmp_path)
    assert agreement.number in text.replace("\n", "") and "李四海赔偿1000元" in text
    assert "张三丰" not in text  # still the masked copy
    assert any("is missing" in rec.getMessage() for rec in caplog.records)
    # an agreement that never had a stored copy (the demo's generated history) is rendered too
    type(agreement).objects.filter(pk=agreement.pk).update(file="")
    r = client.get(f"/mediation/disputes/{d.pk}/agreement.pdf")
    assert r.status_code == 200 and "李四海赔偿1000元" in pdf_text(r.content, tmp_path)


def test_printable_replaces_missing_glyphs_consistently():
    from fengqiao.mediation.pdf import printable

    assert printable("张三😀丰") == "张三□丰"
    assert printable("家庭👨\u200d👩\u200d👧好") == "家庭□好"  # one joined emoji, one placeholder
    assert printable("❤️ 👍🏽") == "□ □"  # variation selector and skin tone dropped
    assert printable("1,000元 é 㐀\tA\n") == "1,000元 é 㐀 A\n"


# 7. No session before today; the session list shows scheduled/held.
def test_session_cannot_be_scheduled_in_the_past(users, med, new_dispute):
    d = _in_mediation(new_dispute, users, med)
    with pytest.raises(UserError) as exc:
        actions.act(d, "schedule_session", by=users.mediator, params={"held_at": "2020-01-01T10:00", "place": "调解室"})
    assert exc.value.code == "session_in_past" and "今天之前" in exc.value.zh and "before today" in exc.value.en
    yesterday = timezone.localtime() - dt.timedelta(days=1)
    with pytest.raises(UserError):
        actions.act(d, "schedule_session", by=users.mediator, params={"held_at": yesterday.isoformat(), "place": "x"})
    assert not Session.objects.filter(dispute=d).exists()


def test_session_list_shows_status(client, users, med, new_dispute):
    d = _in_mediation(new_dispute, users, med)
    actions.act(d, "record_session", by=users.mediator, params={"place": "调解室", "minutes": "第一次"})
    actions.act(d, "schedule_session", by=users.mediator,
                params={"held_at": (timezone.now() + dt.timedelta(days=2)).isoformat(), "place": "调解室"})
    client.force_login(users.mediator)
    page = client.get(f"/mediation/disputes/{d.pk}/").content.decode()
    assert re.search(r'<tr class="session-held">.*?<td>已召开</td>', page)
    assert re.search(r'<tr class="session-scheduled">.*?<td>已安排</td>', page)


# 8. The demo history and new disputes are one series: a new dispute continues it.
def test_new_disputes_continue_the_demo_series(users, new_dispute):
    from fengqiao.mediation.demo import load_demo_mediation

    if not Dispute.objects.filter(is_demo=True).exists():
        load_demo_mediation(cases=40, today=timezone.localdate())
    demo = list(Dispute.objects.filter(is_demo=True).order_by("registered_at", "id"))
    year = timezone.localdate().year
    prefix = f"TJ{year}-"
    this_year = sorted(x.number for x in demo if x.number.startswith(prefix))
    assert this_year and all(re.fullmatch(r"TJ\d{4}-\d{6}", x.number) for x in demo)
    # Numbered in order of registration within each year.
    for y in {timezone.localtime(x.registered_at).year for x in demo}:
        same = [x.number for x in demo if timezone.localtime(x.registered_at).year == y]
        assert same == sorted(same)
    d = new_dispute()
    assert d.number == f"{prefix}{int(this_year[-1].split('-')[1]) + 1:06d}"
    agreement_numbers = [a for a in Dispute.objects.filter(is_demo=True, agreement__isnull=False)
                         .values_list("agreement__number", flat=True)]
    assert agreement_numbers and all(re.fullmatch(r"XY\d{4}-\d{6}", n) for n in agreement_numbers)


def test_the_mediation_menu_offers_only_pages_the_role_may_open(client, med, users):
    import re

    from fengqiao.mediation.models import MEDIATION_ROLES

    seen = set()
    for name in ("county_op", "town_haiyou", "cadre_xinhu", "grid_xinhu1", "dept_zhifa", "mediator", "leader"):
        user = getattr(users, name)
        if user.role not in MEDIATION_ROLES:
            continue
        client.force_login(user)
        page = client.get("/mediation/").content.decode()
        menu = page.split('class="subnav"')[1].split("</nav>")[0]
        links = re.findall(r'href="([^"]+)"', menu)
        seen.update(links)
        for link in links:
            assert client.get(link).status_code == 200, (name, link)
    assert "/mediation/queue/" in seen and "/mediation/stats/" in seen  # some role is offered each


def test_timeline_names_actions_and_states_in_words(client, users, med, new_dispute):
    """The case timeline read `accept → accepted`; it now reads the actions and states."""
    import re

    d = _in_mediation(new_dispute, users, med)
    client.force_login(users.town_haiyou)
    page = client.get(f"/mediation/disputes/{d.pk}/").content.decode()
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert "受理 → 已受理" in timeline and "开始调解 → 调解中" in timeline and "→ 已登记" in timeline
    assert "in_mediation" not in timeline and "accept →" not in timeline


def test_session_cannot_be_scheduled_more_than_a_year_ahead(users, med, new_dispute):
    d = _in_mediation(new_dispute, users, med)
    for far in ("9999-12-31T23:59", (timezone.localtime() + dt.timedelta(days=400)).isoformat()):
        with pytest.raises(UserError) as exc:
            actions.act(d, "schedule_session", by=users.mediator, params={"held_at": far, "place": "调解室"})
        assert exc.value.code == "session_too_far" and exc.value.field == "held_at"
    assert not Session.objects.filter(dispute=d).exists()
    actions.act(d, "schedule_session", by=users.mediator,
                params={"held_at": (timezone.localtime() + dt.timedelta(days=300)).isoformat(), "place": "调解室"})
    assert Session.objects.filter(dispute=d).count() == 1
