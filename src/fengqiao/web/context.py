"""Template context for the console's navigation: which entries this role has."""

from __future__ import annotations

from django.utils import timezone

from fengqiao.core import roles
from fengqiao.core.heartbeat import worker_state
from fengqiao.core.memo import Memo


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = user.role
    from django.utils.functional import SimpleLazyObject

    from fengqiao.alerts.models import RiskAlert
    from fengqiao.alerts.views import open_count
    from fengqiao.core.restrict import role_allowed
    from fengqiao.evaluation.models import Publication
    from fengqiao.events.models import INTAKE_ROLES
    from fengqiao.grid.models import CheckPoint, KeyPerson
    from fengqiao.grid.point_views import due_count as points_due_count
    from fengqiao.grid.views import due_count
    from fengqiao.mediation.models import MEDIATION_ROLES, BacklogCase, Dispute, Ticket
    from fengqiao.mediation.services import centres
    from fengqiao.patrols.models import Patrol
    from fengqiao.population.models import RentalHouse
    from fengqiao.tasks.filters import owing_count
    from fengqiao.tasks.models import Task
    from fengqiao.web.phone import may_use_phone

    mediation = role in MEDIATION_ROLES
    alerts = role_allowed(RiskAlert, user, "view")
    key_persons = role_allowed(KeyPerson, user, "view")
    check_points = role_allowed(CheckPoint, user, "view")
    population = role_allowed(RentalHouse, user, "view")
    tasks = role_allowed(Task, user, "view")
    patrols = role_allowed(Patrol, user, "view")
    return {"calendar_gap": _gaps.get(timezone.localdate(), calendar_gap) if role in CALENDAR_KEEPERS else None,
            "worker_stopped": _worker.get("state", worker_state) if role in CALENDAR_KEEPERS else None,
            "nav": {
        # the mediation pages' own menu offers only what this role may open
        # the walk-in desk only where a centre's queue is within reach (a town without a centre
        # of its own has none), asked only when a page draws the menu
        "mediation_queue": mediation and role_allowed(Ticket, user, "view")
        and SimpleLazyObject(lambda: centres(user, "queue").exists()),
        "mediation_register": mediation and role_allowed(Dispute, user, "create"),
        "mediation_my": mediation,
        "mediation_backlog": mediation and role_allowed(BacklogCase, user, "view"),
        "mediation_stats": mediation and role_allowed(Dispute, user, "stats"),
        "matters": role not in roles.GLOBAL_ROLES,
        "intake": role in INTAKE_ROLES,
        "phone": may_use_phone(user),
        "dashboard": role not in roles.GLOBAL_ROLES,
        "evaluation": role_allowed(Publication, user, "view"),
        "mediation": mediation,
        "alerts": alerts,
        # open alerts in the user's area, counted only when a page draws the menu
        "alerts_open": SimpleLazyObject(lambda: open_count(user)) if alerts else 0,
        "key_persons": key_persons,
        # people whose visit is overdue or due within three days, counted only when a page shows it
        "key_persons_due": SimpleLazyObject(lambda: due_count(user)) if key_persons else 0,
        "check_points": check_points,
        # check-points whose inspection is overdue or due within three days, counted only when shown
        "check_points_due": SimpleLazyObject(lambda: points_due_count(user)) if check_points else 0,
        # the population registry (实有人口与出租房屋): read by the registries' viewers, written by its registrars
        "population": population,
        "population_register": population and role_allowed(RentalHouse, user, "change"),
        "tasks": tasks,
        # receipts of the user's own unit still to acknowledge or report on, counted only when shown
        "tasks_owing": SimpleLazyObject(lambda: owing_count(user)) if tasks else 0,
        # the patrol records (巡逻记录): read by the centres, the leaders and the patrollers
        "patrols": patrols,
        "areas": role != roles.AUDITOR,  # an auditor reads the audit trail, not the area tree
        "audit": role == roles.AUDITOR,
    }}


#: who is told when a year's holiday arrangement is missing: those who enter it or answer for it
CALENDAR_KEEPERS = frozenset({roles.ADMIN, roles.COUNTY_OPERATOR})
#: the answer per day, so a page pays no query for it; an entered arrangement clears it at once
_gaps = Memo("calendar gap", 600, invalidated_by=["workcal.calendarday", "workcal.calendaryear"])
#: whether the background worker beats, asked at most every 30 seconds per process
_worker = Memo("worker state", 30)


def calendar_gap(today=None) -> int | None:
    """The year whose holiday arrangement (节假日安排) is not entered and soon in use: this
    year, or from October (when the State Council usually announces it) the next one. Without
    it, time limits in that year count Monday to Friday."""
    from fengqiao.workcal.services import get_calendar

    today = today or timezone.localdate()
    calendar = get_calendar()
    for year in (today.year, today.year + 1) if today.month >= 10 else (today.year,):
        if not calendar.is_year_known(year):
            return year
    return None
