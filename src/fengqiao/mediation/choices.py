"""Choices of the mediation app (矛盾纠纷调处化解). Chinese terms in the comments."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")  # 已登记
    ACCEPTED = "accepted", _("Accepted")  # 已受理
    DECLINED = "declined", _("Declined")  # 不予受理
    IN_MEDIATION = "in_mediation", _("In mediation")  # 调解中
    SUCCEEDED = "succeeded", _("Mediation succeeded")  # 调解成功
    FAILED = "failed", _("Mediation failed")  # 调解不成
    FOLLOWED_UP = "followed_up", _("Followed up")  # 已回访
    ARCHIVED = "archived", _("Archived")  # 已归档
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 已撤回


OPEN_STATES = frozenset({State.REGISTERED, State.ACCEPTED, State.IN_MEDIATION})
# States in which the 30-day clock runs (from acceptance to the outcome).
CLOCK_STATES = frozenset({State.ACCEPTED, State.IN_MEDIATION})
CONCLUDED_STATES = frozenset({State.SUCCEEDED, State.FAILED, State.FOLLOWED_UP, State.ARCHIVED})
TERMINAL_STATES = frozenset({State.DECLINED, State.ARCHIVED, State.WITHDRAWN})


class Source(models.TextChoices):
    SCREENING = "screening", _("Screening by grid workers")  # 排查
    WALK_IN = "walk_in", _("Walk-in at the centre")  # 来访
    MATTER = "matter", _("Referred from a matter")  # 12345/110/事件转办
    COURT = "court", _("Court pre-litigation referral")  # 诉前委派
    PETITION = "petition", _("Petition")  # 信访
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    NONE = "", _("None yet")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Referral(models.TextChoices):
    LITIGATION = "litigation", _("Litigation (court)")  # 诉讼
    ARBITRATION = "arbitration", _("Arbitration")  # 仲裁
    ADMINISTRATIVE = "administrative", _("Administrative handling")  # 行政处理


class Honoured(models.TextChoices):
    YES = "yes", _("Honoured")  # 已履行
    PARTLY = "partly", _("Partly honoured")  # 部分履行
    NO = "no", _("Not honoured")  # 未履行
    NOT_APPLICABLE = "na", _("Not applicable")  # 不适用 (failed cases)


class PartySide(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")  # 申请人
    RESPONDENT = "respondent", _("Respondent")  # 被申请人


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")  # 自然人
    ORGANISATION = "organisation", _("Organisation")  # 法人/其他组织


class OrgKind(models.TextChoices):
    CENTRE = "centre", _("Mediation centre")  # 矛调中心
    TOWN_COMMITTEE = "town_committee", _("Town mediation committee")  # 乡镇(街道)人民调解委员会
    VILLAGE_COMMITTEE = "village_committee", _("Village mediation committee")  # 村(社区)人民调解委员会
    TRADE_COMMITTEE = "trade_committee", _("Trade mediation committee")  # 行业性调委会
    PROFESSIONAL_COMMITTEE = "professional_committee", _("Professional mediation committee")  # 专业性调委会
    STUDIO = "studio", _("Named mediation studio")  # 品牌调解工作室


class MediatorKind(models.TextChoices):
    PEOPLES_MEDIATOR = "peoples_mediator", _("People's mediator")  # 人民调解员
    DEPARTMENT_EXPERT = "department_expert", _("Department expert")  # 部门专家
    TOWN_STAFF = "town_staff", _("Town staff")  # 乡镇干部
    LAWYER = "lawyer", _("Lawyer / legal adviser")  # 律师、法律顾问


class MediatorLevel(models.TextChoices):
    GOLD = "gold", _("Gold-medal mediator")  # 金牌调解员
    SENIOR = "senior", _("Senior mediator")  # 资深调解员
    REGULAR = "regular", _("Mediator")  # 调解员


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead mediator")  # 主调解员
    MEMBER = "member", _("Task-force member")  # 专班成员


class AssignmentResult(models.TextChoices):
    ACTIVE = "", _("Active")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    RELEASED = "released", _("Released")


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")  # 等候
    CALLED = "called", _("Called")  # 已叫号
    REGISTERED = "registered", _("Registered as a dispute")  # 已登记
    DONE = "done", _("Served")  # 已办结 (advice only, no dispute)
    NO_SHOW = "no_show", _("No show")  # 过号


class ConfirmationStatus(models.TextChoices):
    NONE = "", _("Not applied")
    APPLIED = "applied", _("Applied")  # 已申请
    CONFIRMED = "confirmed", _("Confirmed")  # 已确认有效
    REJECTED = "rejected", _("Rejected")  # 驳回申请


class SlaColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class BacklogStatus(models.TextChoices):
    OPEN = "open", _("Awaiting a leader")  # 待包案
    IN_CHARGE = "in_charge", _("Leader in charge")  # 包案中
    RESOLVED = "resolved", _("Resolved")  # 已化解
    CLOSED = "closed", _("Closed")  # 已销号


class BacklogReason(models.TextChoices):
    OPEN_TOO_LONG = "open_too_long", _("Open longer than the threshold")
    FAILED_TWICE = "failed_twice", _("Mediation failed twice")
    PETITION_OPEN_TOO_LONG = "petition_open_too_long", _("Petition open longer than the threshold")
    MANUAL = "manual", _("Designated by a leader or the centre")


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class HearingOutcome(models.TextChoices):
    NONE = "", _("None yet")
    SETTLED = "settled", _("Settled on the spot")  # 当场停访息诉
    PARTLY = "partly", _("Partly settled")
    NOT_SETTLED = "not_settled", _("Not settled")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    OTHER_RELATIVE = "relative", _("Other close relative")
    OTHER = "other", _("Other interest")
