"""The indicators' names and one-line definitions in the reader's language (the formulas in
:mod:`.formulas` stay free of Django)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .formulas import BY_CODE, INDICATORS, Indicator

NAMES = {
    "intake": _("Intake"),
    "sign_on_time_rate": _("On-time sign-for rate"),
    "resolve_on_time_rate": _("On-time resolution rate"),
    "resolution_rate": _("Resolution rate"),
    "satisfaction_rate": _("Satisfaction rate"),
    "repeat_rate": _("Repeat rate"),
    "return_rate": _("Return rate"),
    "overdue": _("Overdue matters"),
    "overdue_matters": _("Matters resolved late or past their time limit"),
    "mediation_success_rate": _("Mediation success rate"),
    "hazard_rectification_rate": _("Hazard rectification rate"),
    "key_person_visit_rate": _("Key-person visit completion"),
    "inspection_rate": _("Check-point inspection completion"),
}

DEFINITIONS = {
    "intake": _("Matters received in the period."),
    "sign_on_time_rate": _("Of the unit's sign-fors in the period (of matters dispatched to it from outside the "
                           "unit), those made by the sign-for deadline."),
    "resolve_on_time_rate": _("Of the matters resolved in the period (and still resolved, verified or closed), "
                              "those resolved by the handling deadline."),
    "resolution_rate": _("Of the matters received in the period and not rejected, merged or cancelled, those now "
                         "resolved, verified or closed."),
    "satisfaction_rate": _("Of the matters resolved in the period and visited, those the citizen was satisfied or "
                           "basically satisfied with."),
    "repeat_rate": _("Of the matters received in the period, those merged into another matter as repeats."),
    "return_rate": _("Of the matters the unit signed for or returned in the period, those it returned (each "
                     "matter once)."),
    "overdue": _("Time limits missed in the period: the unit's late sign-fors, plus the matters resolved late or "
                 "whose time limit ran out in the period while still with the handling unit (also when the clock "
                 "was paused after the limit ran out)."),
    "mediation_success_rate": _("Of the disputes concluded in the period, those mediated successfully."),
    "hazard_rectification_rate": _("Of the safety-hazard matters received in the period and not rejected, merged "
                                   "or cancelled, those now resolved, verified or closed."),
    "key_person_visit_rate": _("Of the key persons in the registry at the end of the period whose first visit had "
                               "fallen due, those visited within their visit interval before the end."),
    "inspection_rate": _("Of the check-points in the registry at the end of the period whose inspection had fallen "
                         "due, those inspected within their inspection interval before the end."),
}

GROUP_NAMES = {
    "town": _("Towns and streets"),
    "village": _("Villages and communities"),
    "grid": _("Grids"),
    "department": _("Departments"),
}

#: The counts behind the indicators (Excel's "Counts" table), labelled in the reader's language.
#: The table lists them in the order of :func:`count_order`; a count not named here (a key
#: a later version of :mod:`.query` adds, or one an old publication holds) keeps its key.
COUNT_NAMES = {
    "intake": _("Matters received"),
    "signed": _("Sign-fors"),
    "signed_on_time": _("Sign-fors on time"),
    "signed_late": _("Late sign-fors"),
    "resolved": _("Matters resolved"),
    "resolved_on_time": _("Matters resolved on time"),
    "valid": _("Valid matters (not rejected, merged or cancelled)"),
    "valid_resolved": _("Valid matters now resolved"),
    "visited": _("Visited after resolution"),
    "satisfied": _("Satisfied or basically satisfied"),
    "merged": _("Merged as repeats"),
    "decisions": _("Sign-for and return decisions"),
    "returns": _("Returns"),
    "overdue": _("Overdue matters"),
    "overdue_matters": _("Matters resolved late or past their time limit"),
    "mediation_concluded": _("Disputes concluded"),
    "mediation_succeeded": _("Disputes mediated successfully"),
    "hazard": _("Valid safety-hazard matters"),
    "hazard_resolved": _("Safety-hazard matters rectified"),
    "key_persons_due": _("Key persons due a visit"),
    "key_persons_visited": _("Key persons visited in time"),
    "points_due": _("Check-points due an inspection"),
    "points_inspected": _("Check-points inspected in time"),
}


def _frozen(table, code: str):
    """A publication's frozen text of ``code``: a string, or one string per language
    (``{"zh-hans": …, "en": …}``), picked in the reader's language."""
    value = (table or {}).get(code) if isinstance(table, dict) else None
    if isinstance(value, dict):
        lang = (get_language() or settings.LANGUAGE_CODE).lower()
        value = value.get(lang) or value.get(lang.split("-")[0]) or value.get(settings.LANGUAGE_CODE) or next(
            (v for v in value.values() if v), None)
    return value if isinstance(value, str) and value else None


def frozen_texts(codes) -> dict[str, dict]:
    """``{"names": …, "definitions": …}`` of ``codes`` in every language of the site
    (``{code: {"zh-hans": …, "en": …}}``), to freeze into a publication: what was announced
    keeps the definitions it was counted by, whatever later releases say."""
    names: dict[str, dict] = {}
    definitions: dict[str, dict] = {}
    for lang, _label in settings.LANGUAGES:
        with translation.override(lang):
            for code in codes:
                if code in NAMES:
                    names.setdefault(code, {})[lang] = str(NAMES[code])
                if code in DEFINITIONS:
                    definitions.setdefault(code, {})[lang] = str(DEFINITIONS[code])
    return {"names": names, "definitions": definitions}


def name(code: str, data: dict | None = None) -> str:
    """An indicator's name: today's (translated), else the one frozen in ``data["names"]``,
    else the code itself, so a publication holding a code that was renamed or removed since
    still renders."""
    if code in NAMES:
        return str(NAMES[code])
    return _frozen((data or {}).get("names"), code) or str(code)


def definition(code: str, data: dict | None = None) -> str:
    """An indicator's definition: the one frozen into the publication (``data["definitions"]``)
    when it has one, else today's, else empty."""
    frozen = _frozen((data or {}).get("definitions"), code)
    if frozen:
        return frozen
    return str(DEFINITIONS[code]) if code in DEFINITIONS else ""


def group_name(level: str) -> str:
    return str(GROUP_NAMES.get(level, level))


def count_name(key: str) -> str:
    return str(COUNT_NAMES[key]) if key in COUNT_NAMES else str(key)


def count_order(keys) -> list[str]:
    """The counts in a meaningful order: per indicator of the table, its denominator then its
    numerator (intake; signed, signed on time; resolved, on time; …), then any other named count,
    then unknown keys alphabetically."""
    keys = set(keys)
    order: list[str] = []
    for ind in INDICATORS:
        for key in (ind.denominator, ind.numerator):
            if key and key in keys and key not in order:
                order.append(key)
    order += [k for k in COUNT_NAMES if k in keys and k not in order]
    order += sorted(k for k in keys if k not in order)
    return order


def indicators(data: dict) -> list[Indicator]:
    """The indicators of ``data`` in its order: the codes it was computed with (a publication's
    frozen list), each as today's definition where the code still exists; a code unknown today
    is shown as it was stored (a rate if its stored values are fractions, else a count), under
    its frozen name or its code."""
    codes = data.get("indicators") or [i.code for i in INDICATORS]
    out = []
    for code in codes:
        ind = BY_CODE.get(code)
        if ind is None:
            values = [r.get("values", {}).get(code) for g in data.get("groups", []) for r in g.get("rows", [])]
            kind = "rate" if any(isinstance(v, float) for v in values) else "count"
            ind = Indicator(str(code), kind, "", "")
        out.append(ind)
    return out
