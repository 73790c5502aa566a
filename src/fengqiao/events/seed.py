"""Default category tree and time-limit policies; used by the data migration and by
``fengqiao events seed`` (idempotent: existing rows are left as the county edited them)."""

from __future__ import annotations

from .categories import DEFAULT_TREE, flatten

# name, channel, category code, urgency, sign (amount, unit), handle (amount, unit)
DEFAULT_POLICIES = [
    ("一般事件", "", None, "", (2, "working_hours"), (5, "working_days")),
    ("较急事件", "", None, "priority", (2, "working_hours"), (72, "natural_hours")),
    ("紧急事件", "", None, "urgent", (1, "working_hours"), (48, "natural_hours")),
    ("特急事件", "", None, "critical", (0.5, "natural_hours"), (24, "natural_hours")),
    ("信访事项(信访工作条例)", "petition", None, "", (15 * 24, "natural_hours"), (60 * 24, "natural_hours")),
    ("城乡建设类", "", "urban", "", (2, "working_hours"), (15, "working_days")),
    ("矛盾纠纷(调解期限30日)", "", "dispute", "", (2, "working_hours"), (30 * 24, "natural_hours")),
    ("110非警务警情", "police_110", None, "", (0.5, "natural_hours"), (3, "working_days")),
]


def seed_categories(Category=None, Department=None, tree=DEFAULT_TREE) -> int:
    """Create missing categories of the default tree; return how many were created."""
    if Category is None:
        from .models import Category
    created = 0
    by_code = {}
    for code, name, dept, parent_code, depth, order in flatten(tree):
        parent = by_code.get(parent_code)
        path = (parent.path if parent else "/") + code + "/"
        obj = Category.objects.filter(code=code).first()
        if obj is None:
            obj = Category(code=code, name=name, parent=parent, path=path, depth=depth, order=order,
                           department_code=dept)
            if Department is not None and dept:
                obj.default_department = Department.objects.filter(code=dept).first()
            obj.save()  # path and depth are set above: historical models have no custom save()
            created += 1
        by_code[code] = obj
    return created


def seed_policies(SlaPolicy=None, Category=None) -> int:
    if SlaPolicy is None:
        from .models import Category, SlaPolicy
    created = 0
    for name, channel, cat_code, urgency, sign, handle in DEFAULT_POLICIES:
        if SlaPolicy.objects.filter(name=name).exists():
            continue
        category = Category.objects.filter(code=cat_code).first() if cat_code else None
        SlaPolicy.objects.create(name=name, channel=channel, category=category, urgency=urgency,
                                 sign_amount=sign[0], sign_unit=sign[1], handle_amount=handle[0], handle_unit=handle[1])
        created += 1
    return created


def link_departments() -> int:
    """Point categories at their usual department once departments exist."""
    from fengqiao.areas.models import Department

    from .models import Category

    n = 0
    for cat in Category.objects.filter(default_department__isnull=True).exclude(department_code=""):
        dept = Department.objects.filter(code=cat.department_code).first()
        if dept is not None:
            Category.objects.filter(pk=cat.pk).update(default_department=dept)
            n += 1
    return n
