"""Reads that several places share: matching candidates from the database, masking helpers."""

from __future__ import annotations

import logging

from django.db.models import Q

from fengqiao.core import audit
from fengqiao.core.personal import holds_number

from . import matching
from .models import Assignment, Dispute, Kinship, Mediator, Organisation

logger = logging.getLogger(__name__)


def case_facts(d: Dispute) -> matching.Case:
    parties = list(d.parties.all())
    failed = Assignment.objects.filter(dispute=d, result="failed").values_list("mediator_id", flat=True)
    return matching.Case(
        type_codes=tuple(d.type.codes()),
        area_path=d.area_path,
        type_department=d.type.department_code or _parent_department(d),
        party_id_digests=frozenset(p.id_number_digest for p in parties if p.id_number_digest),
        party_households=frozenset(p.household_code for p in parties if p.household_code),
        failed_mediator_ids=frozenset(failed),
    )


def _parent_department(d: Dispute) -> str:
    parent = d.type.parent
    return parent.department_code if parent is not None else ""


def candidate(m: Mediator, relatives: frozenset[str] = frozenset()) -> matching.Candidate:
    return matching.Candidate(
        id=m.pk, name=m.name, expertise=frozenset(m.expertise or []), area_path=m.area_path,
        area_level_depth=max(0, m.area_path.strip("/").count("/")),
        open_cases=getattr(m, "open_cases", 0) or 0, capacity=m.capacity,
        succeeded=getattr(m, "succeeded_cases", 0) or 0, failed=getattr(m, "failed_cases", 0) or 0,
        kind=m.kind, department_code=m.department.code if m.department_id else "",
        in_expert_pool=m.in_expert_pool, id_digest=m.id_number_digest, household_code=m.household_code,
        relative_digests=relatives,
    )


def conflicts_for(m: Mediator, facts: matching.Case) -> list[matching.Reason]:
    relatives = frozenset(Kinship.objects.filter(mediator=m).values_list("relative_id_digest", flat=True))
    return matching.conflicts(candidate(m, relatives), facts)


def candidates(d: Dispute, *, expert_pool: bool = False, user=None) -> list[matching.Candidate]:
    """Active mediators serving the dispute's county (and the expert pool when asked); with
    ``user``, only those of the registry that user may see (and so may assign)."""
    county = "/" + d.area_path.strip("/").split("/")[0] + "/"
    base = Mediator.objects.restrict(user, "view") if user is not None else Mediator.objects
    qs = base.filter(is_active=True, area_path__startswith=county).select_related("department")
    if not expert_pool:
        qs = qs.filter(Q(in_expert_pool=False) | Q(kind="peoples_mediator"))
    qs = qs.with_record()
    rel: dict[int, set[str]] = {}
    for mid, digest in Kinship.objects.filter(mediator__in=[m.pk for m in qs]).values_list("mediator_id",
                                                                                            "relative_id_digest"):
        rel.setdefault(mid, set()).add(digest)
    return [candidate(m, frozenset(rel.get(m.pk, ()))) for m in qs]


def scores_for(d: Dispute, mediators) -> dict[str, float]:
    """Each of ``mediators``' matching score for ``d`` (by id as text), as the proposal ranks
    them: what an assignment keeps, computed here, never taken from the client."""
    facts = case_facts(d)
    ids = [m.pk for m in mediators]
    rel: dict[int, set[str]] = {}
    for mid, digest in Kinship.objects.filter(mediator__in=ids).values_list("mediator_id", "relative_id_digest"):
        rel.setdefault(mid, set()).add(digest)
    qs = Mediator.objects.filter(pk__in=ids).select_related("department").with_record()
    return {str(m.pk): matching.score(candidate(m, frozenset(rel.get(m.pk, ()))), facts).score for m in qs}


def match(d: Dispute, *, task_force: bool = False, size: int = 3, limit: int = 10, user=None) -> dict:
    """The ranked proposal for a dispute (or a task force of ``size``), with reasons."""
    facts = case_facts(d)
    pool = candidates(d, expert_pool=task_force or d.is_hard, user=user)
    if task_force:
        ranked, excluded = matching.task_force(pool, facts, size)
    else:
        ranked, excluded = matching.rank(pool, facts, limit)
    return {
        "dispute": d.pk,
        "task_force": task_force,
        "results": [
            {"rank": i + 1, "mediator": r.candidate.id, "name": r.candidate.name, "score": r.score,
             "role": ("lead" if i == 0 else "member") if task_force else "",
             "parts": r.parts, "open_cases": r.candidate.open_cases, "capacity": r.candidate.capacity,
             "reasons": [x.as_dict() for x in r.reasons]}
            for i, r in enumerate(ranked)
        ],
        "excluded": [
            {"mediator": e.candidate.id, "name": e.candidate.name, "reasons": [x.as_dict() for x in e.reasons]}
            for e in excluded
        ],
    }


def centres(user, action: str = "view"):
    """The active centres ``user`` reaches for ``action``: "view" (the registry, also the levels
    above), "queue" (a desk's queue) or "serve" (take and call numbers): ``Organisation.ACCESS``."""
    return Organisation.objects.restrict(user, action).filter(kind="centre", is_active=True)


def record_unmask(user, obj, what) -> None:
    audit.record("view_personal", obj, actor=user, after={"fields": what})


def unmasked_fields(d: Dispute) -> list[str]:
    """What an unmasked view of a dispute shows in full: its parties, and its words that hold a
    phone or ID number (``Dispute.FREE_TEXT_FIELDS``)."""
    return ["parties", *(f for f in Dispute.FREE_TEXT_FIELDS if holds_number(getattr(d, f)))]


def may_produce_agreement(user, d: Dispute) -> bool:
    """Who prints the agreement the parties sign: a role that may see personal data, in charge of
    the dispute as an action of the transition table that writes the agreement requires
    (``Transition.writes_agreement``: its roles and relation — the centre's staff, its
    organisation's or assigned mediators). The state is not asked: the agreement exists."""
    from .transitions import RELATIONS, TABLE

    if not getattr(user, "can_unmask", False):
        return False
    role = getattr(user, "role", None)
    relations = {t.relation for t in TABLE.values() if t.writes_agreement and role in t.roles}
    return any(RELATIONS[r](d, user) for r in sorted(relations))


def agreement_pdf(user, d: Dispute, agreement, *, unmask_requested: bool = False) -> tuple[bytes, bool]:
    """The agreement PDF for ``user`` and whether it names the parties in full.

    An agreement is the document the parties sign, so those who produce it (see
    :func:`may_produce_agreement`) get it with full names, rendered now and never stored; so
    does a user allowed to unmask who asks (``?unmask=1``). Either writes ``view_personal``
    when a party is a person (organisations' names are not personal data). Anyone else gets the
    stored copy, names masked."""
    from .pdf import render_agreement

    full = may_produce_agreement(user, d) or (unmask_requested and getattr(user, "can_unmask", False))
    if not full:
        if agreement.file:
            try:
                with agreement.file.open("rb") as fh:
                    return fh.read(), False
            except OSError:
                # The stored copy is gone (a restore without the media directory, a disk
                # fault). Everything it held is in the database: render the same masked copy
                # again, and tell the operators, since the copy on disk should be restored.
                logger.error("agreement %s: stored PDF %s is missing; served a re-rendered copy",
                             agreement.number, agreement.file.name)
        # no stored copy (agreements imported or generated without one): rendered on demand
        return render_agreement(d, agreement, agreement.template, unmask=False), False
    if d.parties.filter(kind="person").exists():
        record_unmask(user, agreement, "agreement_pdf")
    return render_agreement(d, agreement, agreement.template, unmask=True), True


def agreement_download(request, d: Dispute):
    """The agreement of ``d`` as a PDF download for the caller (:func:`agreement_pdf` decides
    full or masked names), or ``None`` when ``d`` has no agreement yet. The API and the console
    both answer with it. An agreement without a stored copy is rendered from the database."""
    from django.http import HttpResponse

    from fengqiao.core.viewsets import wants_unmask

    a = getattr(d, "agreement", None)
    if a is None:
        return None
    data, _full = agreement_pdf(request.user, d, a, unmask_requested=wants_unmask(request))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{a.number}.pdf"'
    return response
