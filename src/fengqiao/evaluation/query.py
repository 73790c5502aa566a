"""The one query layer of the evaluation (考评): every count of every unit for a period and the
same period a year earlier, in a bounded number of queries whatever the number of units.

- Units (docs/evaluation.md §Units): the children of the user's area node, as the dashboard's
  per-unit table has them (a county: its towns; a town: its villages), and for a county also
  its departments.
- Everything is read through ``restrict()``: ``Event.objects.restrict(user, "view")``, the
  timeline entries of those matters, ``Dispute.objects.restrict(user, "stats")``: a user only
  evaluates what it may see.
- Each source is read with one grouped query (``GROUP BY`` the unit, conditional ``COUNT``s for
  the period and the year before): an area unit is the prefix of the matter's ``area_path`` as
  long as the unit's own path (exactly the dashboard's subtree test), a department the handling
  department.
- Sign-fors and returns come from the timeline and count for the unit that took them (the
  acting user's area or department, which the transition table holds to the unit the matter was
  dispatched to), and only when the matter was dispatched into that unit from outside it: a
  village returning its town's matter is the town's own business, not the town returning the
  county's matter (docs/evaluation.md §Units and attribution).
- Periods are local days of Asia/Shanghai (``periods.TZ``), the zone of the
  matter list's date filters, so a unit's links select the same matters.

The result is a plain, JSON-ready dict (:func:`evaluate`): the page, the exports and a
publication's frozen copy all read the same shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from fengqiao.areas.models import Area, Department, Level, subtree_q
from fengqiao.events.choices import State
from fengqiao.events.models import DECISION_ACTIONS, Category, Event, TimelineEntry
from fengqiao.events.sla import now as sla_now
from fengqiao.mediation.choices import Outcome
from fengqiao.mediation.models import Dispute
from fengqiao.web.dashboard import (
    ON_TIME_Q,
    RESOLVED_STATES,
    SATISFIED_Q,
    VISITED_Q,
    home_area,
    list_url,
    resolved_q,
    units_for,
)

from . import formulas
from .formulas import AREA, DEPARTMENT, INDICATORS, NOT_MEASURABLE
from .periods import TZ, Period, today

VERSION = 1
#: 不予受理, 已合并, 已撤销: not matters to resolve
VOID_STATES = (State.REJECTED, State.MERGED, State.CANCELLED)
VALID_STATES = tuple(s for s in State.values if s not in VOID_STATES)
#: the states in which a matter's running clock belongs to its handling unit
WORKING_STATES = (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS)
VISITED_STATES = (State.VERIFIED, State.CLOSED)
#: the category whose subtree holds the safety-hazard reports (安全隐患); codes are stable
HAZARD_CATEGORY = "hazard"

EVENT_COUNTS = ("intake", "valid", "valid_resolved", "merged", "hazard", "hazard_resolved", "resolved",
                "resolved_on_time", "visited", "satisfied", "overdue_matters")
#: sign-for entries (and of those on time / late) and, per matter, decisions and returns
TIMELINE_COUNTS = ("signed", "signed_on_time", "signed_late", "decisions", "returns")
MEDIATION_COUNTS = ("mediation_concluded", "mediation_succeeded")


def _in(field: str, lo: dt.datetime, hi: dt.datetime) -> Q:
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


def ran_out_q(lo: dt.datetime, until: dt.datetime) -> Q:
    """Matters still with the handling unit (dispatched, signed, in progress) whose time limit
    ran out in ``[lo, until)``: the running clock's due instant, or, when the clock was paused
    after its limit had already run out (an extension requested late, a pause for the citizen),
    the limit the pause stopped (the sign-for limit while dispatched, the handling limit after
    sign-for). A pause clears ``sla_due_at``, but not the limit that had run out."""
    paused_late = Q(paused_at__isnull=False) & (
        (Q(state=State.DISPATCHED) & _in("sign_due_at", lo, until) & Q(sign_due_at__lte=F("paused_at")))
        | (Q(state__in=(State.SIGNED, State.IN_PROGRESS)) & _in("handle_due_at", lo, until)
           & Q(handle_due_at__lte=F("paused_at"))))
    return Q(state__in=WORKING_STATES) & (_in("sla_due_at", lo, until) | paused_late)


def event_conditions(lo: dt.datetime, hi: dt.datetime, until: dt.datetime, hazard_path: str | None) -> dict[str, Q]:
    """The condition of each matter count for the period ``[lo, hi)``; ``until`` = min(hi, now).
    Sign-fors are counted from the timeline (:func:`_timeline_measures`), by the unit that signed."""
    received = _in("received_at", lo, hi)
    valid = received & ~Q(state__in=VOID_STATES)
    resolved = resolved_q(lo, hi)  # the dashboard's cohort
    conds = {
        "intake": received,
        "valid": valid,
        "valid_resolved": received & Q(state__in=RESOLVED_STATES),
        "merged": received & Q(state=State.MERGED),
        "resolved": resolved,
        "resolved_on_time": resolved & ON_TIME_Q,
        "visited": resolved & VISITED_Q,
        "satisfied": resolved & SATISFIED_Q,
        # resolved late, or its limit ran out and it is still with the handling unit (the two
        # exclude each other: a resolved matter is no longer with the handling unit)
        "overdue_matters": (resolved & ~ON_TIME_Q) | ran_out_q(lo, until),
    }
    if hazard_path:
        in_hazard = subtree_q(hazard_path, "category__path")
        conds["hazard"] = valid & in_hazard
        conds["hazard_resolved"] = received & in_hazard & Q(state__in=RESOLVED_STATES)
    return conds


def _window(spans: list[tuple[str, dt.datetime, dt.datetime]], rows=None) -> Q:
    """Rows of ``rows`` (default: every matter) with any of the fields in its span: the only
    rows the grouped query reads.

    Written as ``id IN (one index range per field and span, UNION)`` rather than an OR of the
    ranges: over an OR the planner (SQLite's at least) reads the whole county by its area path
    or the restricted matters' whole timelines, while each range alone is an index search
    (``received_at``, ``resolved_at``, ``sla_due_at``, ``sign_due_at``, ``handle_due_at``; the timeline's
    ``(action, at)``), so the cost follows the period, not the table. The ids are only a time
    window; who may see what is the outer query's ``restrict()``."""
    rows = Event.objects.all() if rows is None else rows
    parts = [rows.filter(_in(field, lo, hi)).order_by().values("id") for field, lo, hi in spans if lo < hi]
    if not parts:
        return Q(pk__in=[])
    return Q(pk__in=parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0])


class _Spans:
    """The period and the year before, as instants."""

    def __init__(self, period: Period, now: dt.datetime):
        tz = TZ
        self.period, self.previous = period, period.previous_year()
        self.lo, self.hi = period.bounds(tz)
        self.plo, self.phi = self.previous.bounds(tz)
        self.until = min(self.hi, max(self.lo, now))
        self.puntil = min(self.phi, max(self.plo, now))

    def both(self):
        return (("c", self.lo, self.hi, self.until), ("p", self.plo, self.phi, self.puntil))


def _event_measures(spans: _Spans, hazard_path: str | None) -> tuple[dict, Q]:
    measures, ranges = {}, []
    for prefix, lo, hi, until in spans.both():
        for name, cond in event_conditions(lo, hi, until, hazard_path).items():
            measures[f"{prefix}_{name}"] = Count("id", filter=cond)
        ranges += [("received_at", lo, hi), ("resolved_at", lo, hi), ("sla_due_at", lo, until),
                   ("sign_due_at", lo, until), ("handle_due_at", lo, until)]
    return measures, _window(ranges)


def _timeline_measures(spans: _Spans) -> tuple[dict, Q]:
    """Per unit: its sign-for entries in P (and of those on time / late, as the entry's
    ``data["late"]`` recorded at the time), and per matter its decisions: ``decisions`` the
    matters it signed for or returned in P, ``returns`` those it returned in P; a matter counts
    once however many entries it has."""
    measures, ranges = {}, []
    for prefix, lo, hi, _until in spans.both():
        span = _in("at", lo, hi)
        sign = span & Q(action="sign")
        late = Q(data__late=True)
        measures[f"{prefix}_signed"] = Count("id", filter=sign)
        measures[f"{prefix}_signed_on_time"] = Count("id", filter=sign & ~late)
        measures[f"{prefix}_signed_late"] = Count("id", filter=sign & late)
        measures[f"{prefix}_decisions"] = Count("event_id", distinct=True, filter=span)
        measures[f"{prefix}_returns"] = Count("event_id", distinct=True, filter=span & Q(action="return"))
        ranges.append(("at", lo, hi))
    return measures, _window(ranges, TimelineEntry.objects.filter(action__in=DECISION_ACTIONS))


def _dispatcher_path():
    """The area path of whoever made the dispatch a sign-for or return answers: the matter's
    last ``dispatch`` entry before it ("" when unknown)."""
    last = (TimelineEntry.objects.filter(event_id=OuterRef("event_id"), action="dispatch", id__lt=OuterRef("id"))
            .order_by("-id").values("actor__area__path")[:1])
    return Coalesce(Subquery(last), Value(""))


def _mediation_measures(spans: _Spans) -> tuple[dict, Q]:
    measures, window = {}, Q(pk__in=[])
    for prefix, lo, hi, _until in spans.both():
        span = _in("concluded_at", lo, hi)
        measures[f"{prefix}_mediation_concluded"] = Count("id", filter=span)
        measures[f"{prefix}_mediation_succeeded"] = Count("id", filter=span & Q(outcome=Outcome.SUCCEEDED))
        window |= span
    return measures, window


@dataclass(frozen=True)
class Rounds:
    """A registry whose entries are each due a round (走访, 巡查) every so many days, and the
    two counts the evaluation keeps of it at a period's end."""

    due: str  # the entries whose round had fallen due
    done: str  # those of them with a round within their interval before the end
    model: str  # the registry's model (grid app)
    record: str  # the model of a round
    link: str  # the round's foreign key to its entry
    at: str  # the round's instant
    every: str  # the entry's interval in days
    last: str  # the entry's latest round (kept by the actions: the largest ``at`` of its rounds)


KEY_PERSON_ROUNDS = Rounds("key_persons_due", "key_persons_visited", "KeyPerson", "Visit", "person", "visited_at",
                           "visit_every_days", "last_visit_at")
CHECK_POINT_ROUNDS = Rounds("points_due", "points_inspected", "CheckPoint", "Inspection", "point", "inspected_at",
                            "inspect_every_days", "last_inspected_at")
ROUNDS = (KEY_PERSON_ROUNDS, CHECK_POINT_ROUNDS)


def _round_counts(user, root: Area, units: list[Area], spans: _Spans, rounds: Rounds) -> dict[str, tuple[dict, dict]]:
    """Per unit, at the end of P and of the year before (just before it: the end instant, the next
    local midnight, belongs to the next period): ``rounds.due`` — the entries in the registry then (key persons, check-points) whose round had fallen due (registered at least one
    interval before, or last visited or inspected longer ago than that), ``rounds.done`` — those
    of them with a round within the interval before it.

    Counted in the database, grouped by unit as the matters are (:func:`_by_area_prefix`): an
    interval is a whole number of days, so each condition is one comparison per interval the
    registry uses (read first: a handful). An entry's last round before the end is its kept
    latest round when that lies before the end (nearly always, for a running period), else its
    rounds' latest before the end (a correlated look-up on the index of its rounds). Two queries
    per registry, whatever its size; reading the rows into Python cost 0.4 s at 20,000
    check-points (ADR 0401). The planner estimates the grouped query high for what it runs:
    PostgreSQL's JIT compilation is off for it (ADR 0017)."""
    from django.apps import apps

    model, record = apps.get_model("grid", rounds.model), apps.get_model("grid", rounds.record)
    names = (rounds.due, rounds.done)
    entries = model.objects.restrict(user, "view").filter(subtree_q(root.path, "area_path")).order_by()
    intervals = sorted(set(entries.values_list(rounds.every, flat=True).distinct()))
    if not units or not intervals:
        return {u.path: ({n: 0 for n in names}, {n: 0 for n in names}) for u in units}
    measures, last_rounds = {}, {}
    for prefix, _lo, _hi, until in spans.both():
        # the registry as it stands just before ``until``: a period ends at the next local
        # midnight, which belongs to the next period, so every span is half-open [start, until)
        before = record.objects.filter(**{rounds.link: OuterRef("pk"), f"{rounds.at}__lt": until})
        last_rounds[f"{prefix}_last"] = Case(
            When(**{f"{rounds.last}__lt": until}, then=F(rounds.last)),
            default=Subquery(before.order_by(f"-{rounds.at}").values(rounds.at)[:1]))
        listed = Q(registered_at__lt=until) & (Q(removed_at__isnull=True) | Q(removed_at__gte=until))
        registered_early, last_early, last_within = Q(pk__in=[]), Q(pk__in=[]), Q(pk__in=[])
        for days in intervals:
            start = until - dt.timedelta(days=days)
            registered_early |= Q(**{rounds.every: days, "registered_at__lt": start})
            last_early |= Q(**{rounds.every: days, f"{prefix}_last__lt": start})
            last_within |= Q(**{rounds.every: days, f"{prefix}_last__gte": start})
        due = listed & (registered_early | last_early)
        measures[f"{prefix}_{rounds.due}"] = Count("id", filter=due)
        measures[f"{prefix}_{rounds.done}"] = Count("id", filter=due & last_within)
    latest = max(until for _p, _lo, _hi, until in spans.both())
    grouped = _by_area_prefix(entries.filter(registered_at__lt=latest).annotate(**last_rounds), "area_path", units,
                              measures)
    return {u.path: _split(grouped.get(u.path), names) for u in units}


def _by_area_prefix(qs, field: str, units: list[Area], measures: dict, *, from_outside: str = "") -> dict[str, dict]:
    """``{unit path: {measure: n}}``: one grouped query per length of the units' paths (one
    for a regular tree). A row's key is the first ``len(unit path)`` characters of ``field``:
    equal to a unit's path exactly when the row lies in that unit's subtree. With
    ``from_outside`` (an annotation holding a path) only rows whose path there lies outside the
    unit count for it."""
    out: dict[str, dict] = {}
    wanted = {u.path for u in units}
    for length in sorted({len(u.path) for u in units}):
        keyed = qs.annotate(unit_key=Substr(field, 1, length))
        if from_outside:
            keyed = keyed.annotate(from_key=Substr(from_outside, 1, length)).exclude(from_key=F("unit_key"))
        rows = keyed.values("unit_key").annotate(**measures).order_by()
        for r in rows:
            if r["unit_key"] in wanted:
                out[r.pop("unit_key")] = r
    return out


def _by_field(qs, field: str, ids: list[int], measures: dict) -> dict[int, dict]:
    out = {}
    for r in qs.filter(**{f"{field}__in": ids}).values(field).annotate(**measures).order_by():
        out[r.pop(field)] = r
    return out


def _split(row: dict | None, names: tuple[str, ...]) -> tuple[dict, dict]:
    row = row or {}
    return ({n: row.get(f"c_{n}", 0) for n in names}, {n: row.get(f"p_{n}", 0) for n in names})


def weights(user) -> dict[str, int]:
    """The weights in force: the admin's (``IndicatorWeight``), the default for a missing row."""
    from .models import IndicatorWeight

    stored = dict(IndicatorWeight.objects.restrict(user, "view").values_list("code", "weight"))
    return {code: int(stored.get(code, formulas.DEFAULT_WEIGHTS[code])) for code in formulas.SCORED}


def evaluate(user, period: Period, *, now: dt.datetime | None = None) -> dict:
    """Every indicator of every unit the user evaluates, for ``period`` and a year earlier,
    scored and ranked; a JSON-ready dict: period, previous, scope, weights, and per ranking
    (``groups``) one row per unit with its counts, indicator values, score, rank and changes."""
    now = now or sla_now()
    spans = _Spans(period, now)
    root = home_area(user)
    data = {
        "version": VERSION,
        "period": {"kind": period.kind, "key": period.key, "start": period.start.isoformat(),
                   "last": period.last.isoformat()},
        "previous": {"key": spans.previous.key, "start": spans.previous.start.isoformat(),
                     "last": spans.previous.last.isoformat()},
        "complete": period.is_over(today(now)),
        # local time, as a reader in the county reads it (exports print it as it is)
        "computed_at": timezone.localtime(now, TZ).strftime("%Y-%m-%d %H:%M"),
        "scope": None, "weights": weights(user), "indicators": [i.code for i in INDICATORS],
        "not_measurable": list(NOT_MEASURABLE), "hazard_measured": False, "groups": [],
    }
    if root is None:
        return data
    data["scope"] = {"code": root.code, "name": root.name, "level": root.level}
    areas = units_for(user, root)
    # inactive units too: they are listed when they have figures (history), left out otherwise
    departments = list(Department.objects.restrict(user, "view").filter(county=root)
                       .order_by("code")) if root.level == Level.COUNTY else []
    hazard_path = Category.objects.restrict(user, "view").filter(code=HAZARD_CATEGORY).values_list(
        "path", flat=True).first()
    data["hazard_measured"] = hazard_path is not None
    event_counts = EVENT_COUNTS if hazard_path else tuple(n for n in EVENT_COUNTS if not n.startswith("hazard"))

    events = Event.objects.restrict(user, "view")
    e_measures, e_window = _event_measures(spans, hazard_path)
    entries = TimelineEntry.objects.restrict(user, "view").filter(action__in=DECISION_ACTIONS)
    t_measures, t_window = _timeline_measures(spans)
    w = data["weights"]

    if areas:
        within = subtree_q(root.path, "area_path")
        by_event = _by_area_prefix(events.filter(e_window).filter(within), "area_path", areas, e_measures)
        by_entry = _by_area_prefix(entries.filter(t_window).filter(subtree_q(root.path, "actor__area__path"))
                                   .annotate(dispatcher_path=_dispatcher_path()),
                                   "actor__area__path", areas, t_measures, from_outside="dispatcher_path")
        m_measures, m_window = _mediation_measures(spans)
        by_dispute = _by_area_prefix(Dispute.objects.restrict(user, "stats").filter(m_window).filter(within).filter(
            outcome__in=[Outcome.SUCCEEDED, Outcome.FAILED]), "area_path", areas, m_measures)
        by_round = [_round_counts(user, root, areas, spans, r) for r in ROUNDS]
        rows = []
        for a in areas:
            cur, prev = _merge(_split(by_event.get(a.path), event_counts), _split(by_entry.get(a.path), TIMELINE_COUNTS),
                               _split(by_dispute.get(a.path), MEDIATION_COUNTS), *(r[a.path] for r in by_round),
                               hazard=bool(hazard_path))
            if a.is_active or _has_figures(cur, prev):
                rows.append(_row({"kind": AREA, "code": a.code, "name": a.name, "level": a.level}, cur, prev, AREA))
        formulas.rank_rows(rows, w, AREA)
        if rows:
            data["groups"].append({"kind": AREA, "level": areas[0].level, "rows": rows})
    if departments:
        ids = [d.pk for d in departments]
        by_event = _by_field(events.filter(e_window), "handling_department_id", ids, e_measures)
        by_entry = _by_field(entries.filter(t_window), "actor__department_id", ids, t_measures)
        rows = []
        for d in departments:
            cur, prev = _merge(_split(by_event.get(d.pk), event_counts), _split(by_entry.get(d.pk), TIMELINE_COUNTS),
                               hazard=bool(hazard_path))
            if d.is_active or _has_figures(cur, prev):
                rows.append(_row({"kind": DEPARTMENT, "code": d.code, "name": d.name, "level": DEPARTMENT}, cur,
                                 prev, DEPARTMENT))
        formulas.rank_rows(rows, w, DEPARTMENT)
        if rows:
            data["groups"].append({"kind": DEPARTMENT, "level": DEPARTMENT, "rows": rows})
    return data


def _has_figures(cur: dict, prev: dict) -> bool:
    """Whether a unit has any count in the period or the year before (an inactive unit is
    listed only then)."""
    return any(v for d in (cur, prev) for v in d.values())


def _merge(*parts: tuple[dict, dict], hazard: bool) -> tuple[dict, dict]:
    cur, prev = {}, {}
    for c, p in parts:
        cur.update(c)
        prev.update(p)
    for d in (cur, prev):
        # 超期: every time limit missed in P: the unit's late sign-fors, and the matters resolved
        # late or whose limit ran out while still with the handling unit
        d["overdue"] = d.get("signed_late", 0) + d.get("overdue_matters", 0)
        if not hazard:  # no hazard category in this deployment: not measurable, not 0
            d["hazard"] = d["hazard_resolved"] = None
    return cur, prev


def _row(unit: dict, cur: dict, prev: dict, group: str) -> dict:
    return {"unit": unit, "counts": cur, "previous_counts": prev,
            "values": formulas.indicator_values(cur, group),
            "previous_values": formulas.indicator_values(prev, group)}


# ---------------------------------------------------------------- links to the matter list

def count_links(unit: dict, period: Period, *, hazard: bool = True) -> dict[str, str]:
    """For the counts that the matter list can select exactly, the list's address
    (``web.dashboard.list_url``, as the dashboard links its figures): an area unit by the
    matter's place (``area``), a department by its handling department (``handling``)."""
    f, t = period.start.isoformat(), period.last.isoformat()
    where = {"area": unit["code"]} if unit["kind"] == AREA else {"handling": unit["code"]}
    received = {**where, "received_from": f, "received_to": t}
    resolved = {**where, "resolved_from": f, "resolved_to": t}
    valid, done = ",".join(VALID_STATES), ",".join(RESOLVED_STATES)
    links = {
        "intake": list_url(**received),
        "valid": list_url(**received, state=valid),
        "valid_resolved": list_url(**received, state=done),
        "resolved": list_url(**resolved, state=done),
        # within the resolved cohort, the visited are exactly the verified and closed: verify
        # records the feedback, reopen clears it
        "visited": list_url(**resolved, state=",".join(VISITED_STATES)),
    }
    if unit["kind"] == AREA:
        links["merged"] = list_url(**received, state=State.MERGED)
    if hazard:
        links["hazard"] = list_url(**received, category=HAZARD_CATEGORY, state=valid)
        links["hazard_resolved"] = list_url(**received, category=HAZARD_CATEGORY, state=done)
    return links


def with_links(data: dict, period: Period) -> dict:
    """The live figures with ``links`` on every row (a publication keeps none: its numbers are
    frozen, a list of matters is not)."""
    hazard = data.get("hazard_measured", False)
    for group in data["groups"]:
        for row in group["rows"]:
            row["links"] = count_links(row["unit"], period, hazard=hazard)
    return data
