"""Writes to the registry: dispute types, organisations, mediators, declared relatives,
agreement templates. Idempotent upserts (the demo loader and the admin pages use them)."""

from __future__ import annotations

from django.db import transaction

from fengqiao.areas.models import Area, Department
from fengqiao.core import audit, context
from fengqiao.core.errors import UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.personal import PersonalDataError

from ..choices import MediatorKind, MediatorLevel, OrgKind, Relation
from ..models import AgreementTemplate, DisputeType, Kinship, Mediator, Organisation
from ..pdf import unknown_placeholders

# The default type tree (纠纷类型): code, name, parent code, usual department code.
DEFAULT_TYPES = [
    ("marriage_family", "婚姻家庭纠纷", None, "MZ"),
    ("divorce", "离婚纠纷", "marriage_family", "MZ"),
    ("support", "赡养抚养扶养纠纷", "marriage_family", "MZ"),
    ("inheritance", "继承纠纷", "marriage_family", "SF"),
    ("neighbours", "邻里纠纷", None, "SF"),
    ("neighbour_boundary", "相邻关系(通行、采光、排水)纠纷", "neighbours", "SF"),
    ("neighbour_noise", "噪声扰邻纠纷", "neighbours", "GA"),
    ("labour", "劳动争议", None, "RS"),
    ("unpaid_wages", "欠薪纠纷", "labour", "RS"),
    ("work_injury", "工伤赔偿纠纷", "labour", "RS"),
    ("property_mgmt", "物业纠纷", None, "ZJ"),
    ("land_forest", "山林土地纠纷", None, "ZRZY"),
    ("homestead", "宅基地纠纷", "land_forest", "NY"),
    ("medical", "医疗纠纷", None, "WJ"),
    ("traffic", "道路交通事故赔偿纠纷", None, "GA"),
    ("consumer", "消费纠纷", None, "SJ"),
    ("contract", "合同纠纷", None, "SF"),
    ("loan", "民间借贷纠纷", "contract", "SF"),
    ("construction", "建设工程纠纷", "contract", "ZJ"),
    ("demolition", "征地拆迁纠纷", None, "ZRZY"),
    ("maritime", "海事渔业纠纷", None, "HY"),
    ("environment", "环境污染纠纷", None, "STHJ"),
    ("other", "其他纠纷", None, ""),
]


def _fields_of(obj) -> dict:
    return audit.snapshot(obj)


@transaction.atomic
def seed_types(by=None) -> int:
    """Create the default type tree where missing. Returns how many were created."""
    created = 0
    with context.explicit_audit():
        for code, name, parent, dept in DEFAULT_TYPES:
            if DisputeType.objects.filter(code=code).exists():
                continue
            parent_obj = DisputeType.objects.get(code=parent) if parent else None
            DisputeType.objects.create(code=code, name=name, parent=parent_obj, department_code=dept,
                                       order=created)
            created += 1
        if created:
            audit.record("seed_dispute_types", object_type="mediation.disputetype", object_repr=f"{created} types",
                         after={"created": created}, actor=by)
    return created


@transaction.atomic
def upsert_type(*, code: str, name: str, parent_code: str | None = None, department_code: str = "",
                is_active: bool = True, by=None) -> DisputeType:
    if not code or not name:
        raise UserError("required", "类型编码和名称必填", "code and name are required")
    parent = None
    if parent_code:
        parent = DisputeType.objects.filter(code=parent_code).first()
        if parent is None:
            raise UserError("unknown_type", f"上级类型不存在: {parent_code}", f"unknown parent type {parent_code}")
    with context.explicit_audit():
        obj = DisputeType.objects.filter(code=code).first()
        before = _fields_of(obj) if obj else None
        obj = obj or DisputeType(code=code)
        obj.name, obj.parent, obj.department_code, obj.is_active = name, parent, department_code, is_active
        obj.save()
        audit.record("upsert_dispute_type", obj, before=before, after=_fields_of(obj), actor=by)
    return obj


@transaction.atomic
def upsert_organisation(*, name: str, kind: str, area: Area, department: Department | None = None,
                        specialties: list[str] | None = None, windows: list[str] | None = None,
                        address: str = "", phone: str = "", by=None) -> Organisation:
    if kind not in OrgKind.values:
        raise UserError("bad_kind", f"未知组织类型: {kind}", f"unknown organisation kind: {kind}", field="kind")
    if not name or len(name) > 120:
        raise UserError("bad_name", "组织名称必填且不超过120字", "a name of at most 120 characters is required", field="name")
    with context.explicit_audit():
        org = Organisation.objects.filter(name=name).first()
        before = _fields_of(org) if org else None
        org = org or Organisation(name=name)
        org.kind, org.area, org.department = kind, area, department
        org.specialties = list(specialties or [])
        org.windows = [str(w) for w in (windows or [])]
        org.address, org.phone = address, phone
        org.save()
        after = _fields_of(org)
        if before != after:
            audit.record("upsert_organisation", org, before=before, after=after, actor=by)
    return org


@transaction.atomic
def upsert_mediator(*, name: str, area: Area, organisation: Organisation | None = None, kind: str = "peoples_mediator",
                    level: str = "regular", expertise: list[str] | None = None, in_expert_pool: bool = False,
                    capacity: int = 8, department: Department | None = None, user=None, id_number: str = "",
                    household_code: str = "", phone: str = "", bio: str = "", by=None) -> Mediator:
    """Create or update a mediator, keyed by its user account, else by name and organisation."""
    if kind not in MediatorKind.values:
        raise UserError("bad_kind", f"未知调解员类别: {kind}", f"unknown mediator kind: {kind}", field="kind")
    if level not in MediatorLevel.values:
        raise UserError("bad_level", f"未知调解员等级: {level}", f"unknown mediator level: {level}", field="level")
    if not name:
        raise UserError("required", "姓名必填", "a name is required", field="name")
    unknown = sorted(set(expertise or []) - set(DisputeType.objects.values_list("code", flat=True)))
    if unknown:
        raise UserError("unknown_type", f"未知纠纷类型: {', '.join(unknown)}", f"unknown dispute types: {', '.join(unknown)}",
                        field="expertise")
    if not 1 <= int(capacity) <= 100:
        raise UserError("bad_capacity", "在办案件上限应在1到100之间", "capacity must be between 1 and 100", field="capacity")
    with context.explicit_audit():
        m = Mediator.objects.filter(user=user).first() if user is not None else None
        if m is None:
            m = Mediator.objects.filter(name=name, organisation=organisation, user__isnull=True).first()
        before = _fields_of(m) if m else None
        m = m or Mediator(name=name)
        m.name, m.area, m.organisation, m.kind, m.level = name, area, organisation, kind, level
        m.expertise = list(expertise or [])
        m.in_expert_pool, m.capacity, m.department, m.user = in_expert_pool, int(capacity), department, user
        m.household_code, m.bio = household_code, bio
        try:
            if id_number:
                m.id_number = id_number
                m._meta.get_field("id_number").pre_save(m, False)
            if phone:
                m.phone = phone
                m._meta.get_field("phone").pre_save(m, False)
        except PersonalDataError as exc:
            raise UserError(exc.code, exc.message_zh, exc.message_en) from exc
        m.save()
        after = _fields_of(m)
        if before != after:
            audit.record("upsert_mediator", m, before=before, after=after, actor=by)
    return m


@transaction.atomic
def declare_relative(mediator: Mediator, *, id_number: str, relation: str, note: str = "", by=None) -> Kinship:
    """回避申报: record that a person (by ID number) is the mediator's relative."""
    if relation not in Relation.values:
        raise UserError("bad_relation", f"未知关系: {relation}", f"unknown relation: {relation}", field="relation")
    try:
        digest = digest_for("id_number", id_number)
    except PersonalDataError as exc:
        raise UserError(exc.code, exc.message_zh, exc.message_en, field="id_number") from exc
    with context.explicit_audit():
        k, created = Kinship.objects.update_or_create(mediator=mediator, relative_id_digest=digest,
                                                      defaults={"relation": relation, "note": note[:200]})
        audit.record("declare_relative", mediator, after={"relation": relation, "created": created}, actor=by)
    return k


@transaction.atomic
def save_template(*, name: str, body: str, title: str = "人民调解协议书", template: AgreementTemplate | None = None,
                  by=None) -> AgreementTemplate:
    """Create or edit the agreement template; unknown placeholders are refused."""
    if not body or not body.strip():
        raise UserError("required", "模板正文必填", "the template body is required", field="body")
    unknown = unknown_placeholders(body)
    if unknown:
        raise UserError("unknown_placeholder", f"模板中有未知占位符: {', '.join(unknown)}",
                        f"unknown placeholders in the template: {', '.join(unknown)}", field="body")
    with context.explicit_audit():
        before = _fields_of(template) if template else None
        t = template or AgreementTemplate()
        t.name, t.body, t.title, t.is_active, t.updated_by = name[:100] or "template", body, title[:60], True, by
        t.save()
        AgreementTemplate.objects.exclude(pk=t.pk).filter(is_active=True).update(is_active=False)
        audit.record("save_agreement_template", t, before=before, after=_fields_of(t), actor=by)
    return t
