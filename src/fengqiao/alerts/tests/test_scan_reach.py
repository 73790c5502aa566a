"""What the risk scan must reach beyond the rows it re-reads.

The scan reads new matters and triage results from a cursor and re-reads only the last
``OVERLAP_IDS`` ids behind it. A person's earlier matters and a hot topic's earlier members are
found through the database, not through that overlap; here more than ``OVERLAP_IDS`` other
matters come in between (the overlap is made small so the tests stay quick). An overdue visit or
inspection is one alert per overdue spell, and a spell is told by its own due time, not by when
an earlier alert closed. One person is one person for both the repeat-reporter and the hot-topic
signal.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.alerts import actions as alert_actions
from fengqiao.alerts import scan as scan_module

from .conftest import JIANZHONG, XINHU

pytestmark = pytest.mark.django_db

OVERLAP = 3


@pytest.fixture
def small_overlap(monkeypatch):
    monkeypatch.setattr(scan_module, "OVERLAP_IDS", OVERLAP)


def _busy(matter, triaged=False):
    """More matters than the scan re-reads behind its cursor, each from another caller."""
    from fengqiao.triage.models import TriageResult

    for i in range(OVERLAP + 2):
        e = matter("路灯损坏", f"路灯不亮({i})。", hours_ago=15, phone=f"1370000{i:04d}", area=JIANZHONG)
        if triaged:
            TriageResult.objects.update_or_create(event=e, defaults={"duplicates": []})


def _near(a, *others):
    """Triage names ``others`` as ``a``'s same-matter candidates, above the grouping score."""
    from fengqiao.triage.dedupe import GROUP_THRESHOLD
    from fengqiao.triage.models import TriageResult

    TriageResult.objects.update_or_create(event=a, defaults={"duplicates": [[b.pk, GROUP_THRESHOLD + 0.1]
                                                                            for b in others]})


def _id(serial="001"):
    from fengqiao.grid.tests.conftest import make_id

    return make_id(f"33102219800101{serial}")


# ---------------------------------------------------------------- repeat reporter

def test_an_id_number_finds_the_matters_its_phone_brought_before(matter, scan, alerts, small_overlap):
    idn = _id()
    matter("噪声", "石料厂。", hours_ago=30, phone="13900007777", reporter_id_number=idn)
    scan()
    matter("噪声", "石料厂。", hours_ago=20, phone="13900007777")  # the phone only
    scan()
    _busy(matter)
    scan()
    matter("噪声", "石料厂。", hours_ago=10, reporter_id_number=idn)  # the ID number only
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.matter_count == 3 and alert.evidence["by"] == "id_number"


def test_a_phone_given_with_an_id_number_finds_that_person_s_other_matters(matter, scan, alerts, small_overlap):
    idn = _id()
    matter("噪声", "石料厂。", hours_ago=30, phone="13900007777", reporter_id_number=idn)
    matter("噪声", "石料厂。", hours_ago=20, reporter_id_number=idn)  # the ID number only
    scan()
    _busy(matter)
    scan()
    matter("噪声", "石料厂。", hours_ago=10, phone="13900007777")  # the phone only
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.matter_count == 3 and alert.evidence["by"] == "id_number"


def test_a_phone_given_with_two_id_numbers_is_a_person_of_its_own(matter, scan, alerts):
    """A family's phone: its calls without an ID number are neither member's."""
    matter("噪声", "石料厂。", hours_ago=50, phone="13900007777", reporter_id_number=_id("001"))
    matter("噪声", "石料厂。", hours_ago=40, phone="13900007777", reporter_id_number=_id("002"))
    for hours in (30, 20, 10):
        matter("噪声", "石料厂。", hours_ago=hours, phone="13900007777")
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.matter_count == 3 and alert.evidence["by"] == "phone"


# ---------------------------------------------------------------- hot topic

def test_a_hot_topic_finds_earlier_matters_that_name_the_same_member(matter, scan, alerts, small_overlap):
    """a and later c are both like b only (a star around b): one matter, told by three people."""
    b = matter("河道死鱼", "死鱼(0)。", phone="13900008000")
    a = matter("河道死鱼", "死鱼(1)。", phone="13900008001")
    _near(b)
    _near(a, b)
    scan()
    _busy(matter, triaged=True)
    scan()
    c = matter("河道死鱼", "死鱼(2)。", phone="13900008002")
    _near(c, b)
    scan()
    (alert,) = alerts("hot_topic")
    assert set(alert.links.values_list("event_id", flat=True)) == {a.pk, b.pk, c.pk}


def test_one_caller_with_and_without_an_id_number_is_one_reporter_of_a_hot_topic(matter, scan, alerts, users):
    from fengqiao.events.actions import perform
    from fengqiao.events.models import Event

    target = matter("小区电梯困人", "3号楼电梯又困人了。", phone="13900005551", reporter_id_number=_id())
    perform(target, "accept", by=users.county_op)
    for phone, hours in (("13900005551", 0.5), ("13900005559", 0.4)):  # the same caller without the ID; a neighbour
        e = matter("电梯困人", "3号楼电梯困人。", phone=phone, hours_ago=hours)
        perform(e, "merge", by=users.county_op, into=Event.objects.get(pk=target.pk), reason="同一事项")
    scan()
    assert alerts("hot_topic") == []  # two people, not three


def test_a_phone_given_with_an_id_number_elsewhere_is_that_reporter_in_a_hot_topic(matter, scan, alerts):
    """The caller gave phone and ID number together on another matter: their hot-topic reports,
    one with the ID number only and one with the phone only, are one person's."""
    idn = _id()
    matter("噪声", "石料厂。", hours_ago=30, phone="13900005551", reporter_id_number=idn)
    a = matter("河道死鱼", "死鱼(0)。", reporter_id_number=idn)
    b = matter("河道死鱼", "死鱼(1)。", phone="13900005551")
    c = matter("河道死鱼", "死鱼(2)。", phone="13900005559")
    _near(b, a)
    _near(c, a, b)
    scan()
    assert alerts("hot_topic") == []  # two people, not three


# ---------------------------------------------------------------- overdue spells

def test_a_visit_recorded_late_starts_a_spell_an_earlier_close_does_not_hide(users, scan, alerts):
    from fengqiao.events import sla
    from fengqiao.grid import actions
    from fengqiao.grid.models import KeyPerson

    now = timezone.now()
    with sla.frozen_now(now - dt.timedelta(days=25)):
        p = actions.register_key_person(by=users.cadre_xinhu, name="陈建国", category="mental_disorder", area=XINHU,
                                        id_number=_id("003"), caretaker=users.grid_xinhu1)
    scan()  # the first spell: due 18 days ago
    (alert,) = alerts("missed_visit")
    assert alert.level == "red"
    alert_actions.act(alert, "dismiss", by=users.town_haiyou, text="网格员说上周已走访,补录中。")
    # the grid worker types in the visit made 10 days ago: the next one fell due 3 days ago
    actions.record_visit(KeyPerson.objects.get(pk=p.pk), by=users.grid_xinhu1,
                         visited_at=(now - dt.timedelta(days=10)).isoformat())
    p.refresh_from_db()
    assert p.days_overdue() == 3
    scan()
    assert [a.state for a in alerts("missed_visit")] == ["dismissed", "open"]  # the second spell is news
    scan(now + dt.timedelta(days=20))
    assert [(a.state, a.level) for a in alerts("missed_visit")] == [("dismissed", "red"), ("open", "red")]


def test_an_inspection_recorded_late_starts_a_spell_an_earlier_close_does_not_hide(users, scan, alerts):
    from fengqiao.grid import points
    from fengqiao.grid.models import CheckPoint

    now = timezone.now()
    p = points.register_point(by=users.cadre_xinhu, name="心湖社区幼儿园", kind="school", area=XINHU,
                              address="心湖路8号", caretaker=users.grid_xinhu1)  # inspected every 7 days
    CheckPoint.objects.filter(pk=p.pk).update(next_inspection_due=now - dt.timedelta(days=18))
    scan()  # the first spell
    (alert,) = alerts("missed_inspection")
    assert alert.level == "red"
    alert_actions.act(alert, "dismiss", by=users.town_haiyou, text="网格员说已巡查,补录中。")
    # typed in late: the next inspection fell due 3 days ago
    points.record_inspection(CheckPoint.objects.get(pk=p.pk), by=users.grid_xinhu1,
                             inspected_at=(now - dt.timedelta(days=10)).isoformat())
    p.refresh_from_db()
    assert p.days_overdue() == 3
    scan(now + dt.timedelta(days=20))
    assert [(a.state, a.level) for a in alerts("missed_inspection")] == [("dismissed", "red"), ("open", "red")]
