"""Template context for the console's navigation: which entries this role has."""

from __future__ import annotations

from fengqiao.core import roles


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = user.role
    from fengqiao.events.models import INTAKE_ROLES
    from fengqiao.mediation.models import MEDIATION_ROLES

    return {"nav": {
        "matters": role not in roles.GLOBAL_ROLES,
        "intake": role in INTAKE_ROLES,
        "phone": role in {roles.GRID_WORKER, roles.VILLAGE_CADRE},
        "dashboard": role not in roles.GLOBAL_ROLES,
        "mediation": role in MEDIATION_ROLES,
        "areas": role != roles.AUDITOR,  # an auditor reads the audit trail, not the area tree
    }}
