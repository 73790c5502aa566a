"""Intake (受理登记) for phone and walk-in operators, with suggestions as they type."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fengqiao.core.errors import UserError
from fengqiao.core.personal import PersonalDataError
from fengqiao.events import actions, transitions
from fengqiao.events.actions import create_event
from fengqiao.events.api import action_kwargs
from fengqiao.events.choices import Channel, Urgency
from fengqiao.events.models import INTAKE_ROLES, Category, Event

from . import suggest

#: the form's fields; each shows its own error under its box (intake.html)
FIELDS = ["channel", "title", "content", "address", "category", "urgency", "reporter_name", "reporter_phone",
          "reporter_id_number", "channel_ref"]


@login_required
def intake(request):
    if request.user.role not in INTAKE_ROLES:
        raise PermissionDenied(_("Your role does not take in matters."))
    values = {"channel": Channel.HOTLINE_12345, "urgency": Urgency.NORMAL}
    error = None
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in FIELDS}
        anonymous = request.POST.get("anonymous") == "on"
        values["anonymous"] = anonymous  # a form sent back with an error keeps the box as it was
        category = Category.objects.filter(code=values["category"]).first() if values["category"] else None
        merge_into = request.POST.get("merge_into", "").strip()
        try:
            event, _created = create_event(
                by=request.user, channel=values["channel"], title=values["title"], content=values["content"],
                address=values["address"], category=category, urgency=values["urgency"] or Urgency.NORMAL,
                reporter_name="" if anonymous else values["reporter_name"],
                reporter_phone="" if anonymous else values["reporter_phone"],
                reporter_id_number="" if anonymous else values["reporter_id_number"],
                anonymous=anonymous, channel_ref=values["channel_ref"],
                idempotency_key=request.POST.get("idempotency_key", "") or "",
                triage=not merge_into,  # a repeat is merged first: no automatic dispatch before it
            )
        except UserError as exc:
            error = {"field": exc.field, "message": exc.message()}
        except PersonalDataError as exc:
            error = {"field": _personal_field(exc.code), "message": str(exc)}
        if error is not None and error["field"] not in FIELDS:
            error["field"] = None  # no box of the form shows it (intake.html): said at the top
        if error is None:
            if not _created:
                if values["channel_ref"] and event.channel_ref == values["channel_ref"]:
                    messages.warning(request, _("Channel reference %(ref)s was already taken in as %(number)s; "
                                                "this is that matter, nothing new was filed.")
                                     % {"ref": values["channel_ref"], "number": event.number})
                else:  # the same form sent again (a second click, a reload)
                    messages.info(request, _("This form was already sent and saved as %(number)s; nothing new "
                                             "was filed.") % {"number": event.number})
                if event.merged_into_id:  # sent again after it was merged: where the caller now is
                    event = event.merged_into
            elif merge_into:
                event = _merge_repeat(request, event, merge_into)
            return _after_intake(request, event)
    return render(request, "web/matters/intake.html", {
        "values": values, "error": error, "channels": Channel.choices, "urgencies": Urgency.choices,
        "categories": Category.objects.filter(is_active=True).order_by("path"),
        "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
    }, status=400 if error else 200)


def _after_intake(request, event):
    """The matter's page, or a fresh form when the one who filed it may not see it there (a
    department handler's matter goes to the centre in charge)."""
    if Event.objects.restrict(request.user, "view").filter(pk=event.pk).exists():
        return HttpResponseRedirect(reverse("web:matter", args=[event.pk]))
    messages.success(request, _("Saved as %(number)s. It goes to the centre in charge of its place, "
                                "which you cannot open here.") % {"number": event.number})
    return HttpResponseRedirect(reverse("web:intake"))


def _merge_repeat(request, event, into: str):
    """A repeat call the operator recognised in the suggestions: the matter just filed is merged
    into the one it repeats, so the caller is listed among that matter's reporters, and the
    operator is taken there. The filed matter is kept whatever happens: when the merge is refused
    (the target has moved on, or the role may not merge) the operator is told why and is shown
    the new matter, to merge or handle as usual."""
    from fengqiao.triage.service import on_intake

    event.refresh_from_db()
    try:
        with transaction.atomic():
            transitions.check(event, "merge", request.user)  # the role's refusal before any look-up
            # stored in the site's language, as the timeline's other entries read to everyone
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("a repeat call, merged at intake")
            kwargs = action_kwargs("merge", {"into": into, "reason": reason}, request, event)
            actions.perform(event, "merge", by=request.user, **kwargs)
    except UserError as exc:
        messages.warning(request, _("Saved as %(number)s, but not merged: %(why)s")
                         % {"number": event.number, "why": exc.message()})
        on_intake(event)  # triaged as any new matter (its automatic dispatch included)
        return event
    on_intake(event)  # read all the same (merged now, so never dispatched): the index learns from it
    target = kwargs["into"]
    messages.success(request, _("Saved as %(number)s and merged into %(into)s: the caller is listed among its "
                                "reporters.") % {"number": event.number, "into": target.number})
    return target


def _personal_field(code: str) -> str:
    return "reporter_id_number" if code.startswith("id_") else "reporter_phone"


@login_required
def suggestions(request):
    """htmx partial: category, place and possible duplicates for the text typed so far."""
    text = " ".join(request.POST.get(k, "") or request.GET.get(k, "") for k in ("title", "content", "address")).strip()
    result = suggest.for_text(request.user, text) if len(text) >= 4 else None
    return render(request, "web/matters/_suggestions.html", {
        "s": result, "can_merge": request.user.role in transitions.TABLE["merge"].roles})
