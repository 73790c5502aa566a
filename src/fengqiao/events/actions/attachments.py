"""Attachments (附件): type and size checked, stored through Django's storage API."""

from __future__ import annotations

from django.db import transaction

from fengqiao.core import audit, context, uploads

from ..models import Attachment, Event
from ..sla import now as sla_now


def add_attachment(event: Event, *, by, upload) -> Attachment:
    """Store one uploaded file for ``event`` after checking its type (by name and content) and size."""
    checked = uploads.check_upload(upload)
    name, size = checked.name, checked.size
    with transaction.atomic(), context.explicit_audit():
        att = Attachment(event=event, original_name=name, content_type=checked.content_type, kind=checked.kind,
                         size=size, sha256=checked.sha256, uploaded_by=by, uploaded_at=sla_now())
        att.file.save(name, checked.upload, save=False)
        att.save()
        audit.record("event_attach", event, actor=by, after={"attachment": att.pk, "name": name, "size": size,
                                                             "sha256": att.sha256})
    return att
