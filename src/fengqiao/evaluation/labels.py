"""The indicators' names and one-line definitions in the reader's language (the formulas in
:mod:`.formulas` stay free of Django)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NAMES = {
    "intake": _("Intake"),
    "sign_on_time_rate": _("On-time sign-for rate"),
    "resolve_on_time_rate": _("On-time resolution rate"),
    "resolution_rate": _("Resolution rate"),
    "satisfaction_rate": _("Satisfaction rate"),
    "repeat_rate": _("Repeat rate"),
    "return_rate": _("Return rate"),
    "overdue": _("Overdue matters"),
    "mediation_success_rate": _("Mediation success rate"),
    "hazard_rectification_rate": _("Hazard rectification rate"),
    "key_person_visit_rate": _("Key-person visit completion"),
}

DEFINITIONS = {
    "intake": _("Matters received in the period."),
    "sign_on_time_rate": _("Of the matters signed for in the period, those signed for by the sign-for deadline."),
    "resolve_on_time_rate": _("Of the matters resolved in the period (and still resolved, verified or closed), "
                              "those resolved by the handling deadline."),
    "resolution_rate": _("Of the matters received in the period and not rejected, merged or cancelled, those now "
                         "resolved, verified or closed."),
    "satisfaction_rate": _("Of the matters resolved in the period and visited, those the citizen was satisfied or "
                           "basically satisfied with."),
    "repeat_rate": _("Of the matters received in the period, those merged into another matter as repeats."),
    "return_rate": _("Of the unit's sign-for and return decisions in the period, the returns."),
    "overdue": _("Matters signed for or resolved late in the period, or whose running time limit ran out in the "
                 "period and which are still not signed for or resolved."),
    "mediation_success_rate": _("Of the disputes concluded in the period, those mediated successfully."),
    "hazard_rectification_rate": _("Of the safety-hazard matters received in the period and not rejected, merged "
                                   "or cancelled, those now resolved, verified or closed."),
    "key_person_visit_rate": _("Not measurable yet: the platform holds no key-person registry or visits."),
}

GROUP_NAMES = {
    "town": _("Towns and streets"),
    "village": _("Villages and communities"),
    "grid": _("Grids"),
    "department": _("Departments"),
}
