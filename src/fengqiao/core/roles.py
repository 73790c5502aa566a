"""The roles of DOMAIN.md. Pure constants, imported everywhere."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COUNTY_OPERATOR = "county_operator"
TOWN_OPERATOR = "town_operator"
VILLAGE_CADRE = "village_cadre"
GRID_WORKER = "grid_worker"
DEPARTMENT_HANDLER = "department_handler"
MEDIATOR = "mediator"
LEADER = "leader"
AUDITOR = "auditor"
ADMIN = "admin"

ROLE_CHOICES = [
    (COUNTY_OPERATOR, _("County centre operator")),
    (TOWN_OPERATOR, _("Town command room operator")),
    (VILLAGE_CADRE, _("Village/community cadre")),
    (GRID_WORKER, _("Grid worker")),
    (DEPARTMENT_HANDLER, _("Department handler")),
    (MEDIATOR, _("Mediator")),
    (LEADER, _("Leader")),
    (AUDITOR, _("Auditor")),
    (ADMIN, _("System administrator")),
]
ALL_ROLES = frozenset(code for code, _label in ROLE_CHOICES)

# Roles that work on the area tree and its records (everyone except the auditor).
WORKING_ROLES = ALL_ROLES - {AUDITOR}
# Operators of a command centre (county or town level).
OPERATORS = frozenset({COUNTY_OPERATOR, TOWN_OPERATOR})
# Roles that may ask to see personal data unmasked; every unmasked view is audited.
# The admin has no silent access to personal data (DOMAIN.md), and the leader reads masked data.
UNMASK_ROLES = frozenset({COUNTY_OPERATOR, TOWN_OPERATOR, MEDIATOR})
# Roles whose jurisdiction is the whole deployment rather than their area's subtree.
GLOBAL_ROLES = frozenset({ADMIN, AUDITOR})
