"""Console pages of the evaluation (考评, ``/evaluation/``): the figures of a day or a month with
their ranking and year-on-year change, publication (日晾晒 / 月比拼), published snapshots,
Excel and PDF. Views parse input, read through ``restrict()`` (inside :mod:`.query`), call one
action, render; a bad period is a bilingual message with its 4xx status."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.core import audit
from fengqiao.core.errors import UserError
from fengqiao.core.restrict import role_allowed
from fengqiao.events.sla import now as sla_now
from fengqiao.web.dashboard import home_area

from . import actions, exports, maps, periods, query
from .formulas import applies, display, with_sign
from .labels import definition, group_name, indicators, name
from .models import Publication
from .periods import DAY, MONTH, Period, parse_period

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
LIST_SIZE = 30


def _need(user) -> None:
    if not role_allowed(Publication, user, "view"):
        raise PermissionDenied(_("Your role does not open the evaluation."))


def _today() -> dt.date:
    """Today in the county (``periods.TZ``), not in the server's zone."""
    return periods.today(sla_now())


def _period(params) -> Period:
    return parse_period(params.get("period"), _today())


def _publication(user, pk) -> Publication:
    pub = Publication.objects.restrict(user, "view").select_related("scope").filter(pk=pk).first()
    if pub is None:
        raise Http404
    return pub


# ---------------------------------------------------------------- the table as the page shows it

def _cell(indicator, row, links: dict) -> dict:
    code = indicator.code
    if not applies(indicator, row["unit"]["kind"]):
        return {"code": code, "na": True}
    value = (row.get("values") or {}).get(code)
    cell = {"code": code, "kind": indicator.kind, "value": display(indicator, value),
            "change": with_sign((row.get("change") or {}).get(code), "" if indicator.kind == "count" else " " + _("pt"))}
    counts = row.get("counts") or {}
    if indicator.kind == "count":
        cell["url"] = links.get(indicator.numerator)
    else:
        cell.update(num=counts.get(indicator.numerator), den=counts.get(indicator.denominator),
                    num_url=links.get(indicator.numerator), den_url=links.get(indicator.denominator))
    return cell


def tables(data: dict) -> list[dict]:
    """The ranking tables (one per kind of unit) in the shape the templates print."""
    out = []
    inds = indicators(data)
    for group in data["groups"]:
        rows = []
        for r in group["rows"]:
            links = r.get("links", {})
            rows.append({"code": r["unit"]["code"], "name": r["unit"]["name"], "rank": r["rank"],
                         "score": "—" if r["score"] is None else r["score"],
                         "score_change": with_sign(r["score_change"]),
                         "cells": [_cell(i, r, links) for i in inds]})
        out.append({
            "kind": group["kind"], "title": group_name(group["level"]), "rows": rows,
            "chart_id": f"chart-{group['kind']}",
            "has_scores": any(r["score"] is not None for r in group["rows"]),
            "chart": {"type": "bar", "x": [r["unit"]["name"] for r in group["rows"]], "series": [
                {"name": _("Score"), "data": [r["score"] for r in group["rows"]]},
                {"name": _("Score a year earlier"), "data": [r.get("previous_score") for r in group["rows"]]},
            ]},
        })
    return out


def _columns(data: dict | None) -> list[dict]:
    """The table's indicator columns: those ``data`` was computed with (a publication's frozen
    codes, a renamed or removed one under its stored name or code)."""
    return [{"code": i.code, "name": name(i.code, data), "definition": definition(i.code, data), "kind": i.kind}
            for i in indicators(data or {})]


def _missing(data: dict) -> list[dict]:
    codes = list(data.get("not_measurable", []))
    out = [{"name": name(c, data), "definition": definition(c, data)} for c in codes]
    if not data.get("hazard_measured", True):
        out.append({"name": name("hazard_rectification_rate", data),
                    "definition": _("Not measurable here: there is no category with the code 'hazard'.")})
    return out


def _choices(today: dt.date) -> list[tuple[str, str]]:
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    return [(Period(DAY, today - dt.timedelta(days=1)).key, _("Yesterday")),
            (Period(DAY, today).key, _("Today")),
            (Period(MONTH, this_month).key, _("This month")),
            (Period(MONTH, last_month).key, _("Last month"))]


def _page(request, *, period: Period | None, error: UserError | None = None, status: int = 200):
    user = request.user
    today = _today()
    data = query.with_links(query.evaluate(user, period), period) if period is not None else None
    pubs = Publication.objects.restrict(user, "view").select_related("scope")
    this_period = list(pubs.filter(kind=period.kind, period_start=period.start)) if period else []
    may_publish = role_allowed(Publication, user, "publish")
    # the button publishes for the user's own area: "again" only if that scope has a revision
    # (a town leader sees the county's publication too, yet pressing it makes the town's first)
    root = home_area(user) if may_publish and this_period else None
    ctx = {
        "period": period, "data": data, "tables": tables(data) if data else [], "columns": _columns(data),
        "missing": _missing(data) if data else [], "error": error, "today": today,
        # the one query the map adds (its boundaries), outside evaluate()
        "evaluation_map": maps.unit_map(user, data) if data else None,
        "choices": _choices(today), "may_publish": may_publish,
        "publications": list(pubs[:LIST_SIZE]),
        "this_period": this_period,
        "republish": root is not None and any(p.scope_id == root.pk for p in this_period),
        "day_value": period.start.isoformat() if period and period.kind == DAY else "",
        "month_value": period.key if period and period.kind == MONTH else "",
    }
    return render(request, "web/evaluation/page.html", ctx, status=status)


@login_required
def evaluation_page(request):
    _need(request.user)
    try:
        period = _period(request.GET)
    except UserError as exc:
        return _page(request, period=None, error=exc, status=exc.status)
    return _page(request, period=period)


@login_required
@require_POST
def publish_view(request):
    _need(request.user)
    if not role_allowed(Publication, request.user, "publish"):
        raise PermissionDenied(_("Your role does not publish evaluation results."))
    try:
        period = _period(request.POST)
        pub = actions.publish(period, by=request.user)
    except UserError as exc:
        return _page(request, period=None, error=exc, status=exc.status)
    messages.success(request, _("Published %(period)s, revision %(rev)s.") % {"period": pub.period, "rev": pub.revision})
    return redirect("web:evaluation-publication", pk=pub.pk)


@login_required
def publication_page(request, pk: int):
    _need(request.user)
    pub = _publication(request.user, pk)
    revisions = Publication.objects.restrict(request.user, "view").filter(
        scope_id=pub.scope_id, kind=pub.kind, period_start=pub.period_start).order_by("-revision")
    return render(request, "web/evaluation/publication.html", {
        "pub": pub, "data": pub.data, "tables": tables(pub.data), "columns": _columns(pub.data),
        "missing": _missing(pub.data), "revisions": revisions,
        # the frozen figures on today's boundaries (one query)
        "evaluation_map": maps.unit_map(request.user, pub.data),
        "weights": [(name(c, pub.data), w) for c, w in (pub.data.get("weights") or {}).items()],
    })


def _file(data: dict, fmt: str, name: str, publication=None) -> HttpResponse:
    body = exports.workbook(data, publication) if fmt == "xlsx" else exports.pdf(data, publication)
    resp = HttpResponse(body, content_type=FORMATS[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@login_required
def export_view(request, fmt: str):
    _need(request.user)
    if fmt not in FORMATS:
        raise Http404
    try:
        period = _period(request.GET)
    except UserError as exc:
        return _page(request, period=None, error=exc, status=exc.status)
    data = query.evaluate(request.user, period)
    scope = (data["scope"] or {}).get("code", "")
    audit.record("export", object_type="evaluation.live", object_repr=f"evaluation {scope} {period.key} ({fmt})",
                 after={"period": period.key, "scope": scope, "format": fmt})
    return _file(data, fmt, f"evaluation-{scope}-{period.key}")


@login_required
def publication_export(request, pk: int, fmt: str):
    _need(request.user)
    if fmt not in FORMATS:
        raise Http404
    pub = _publication(request.user, pk)
    audit.record("export", pub, object_repr=f"evaluation {pub.scope.code} {pub.period} #{pub.revision} ({fmt})",
                 after={"period": pub.period, "revision": pub.revision, "format": fmt})
    return _file(pub.data, fmt, f"evaluation-{pub.scope.code}-{pub.period}-r{pub.revision}", pub)
