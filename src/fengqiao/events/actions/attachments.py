"""Attachments (附件): type and size checked, stored through Django's storage API."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction

from fengqiao.core import audit, context
from fengqiao.core.errors import UserError

from ..choices import AttachmentKind
from ..models import Attachment, Event
from ..sla import now as sla_now

MAX_BYTES_DEFAULT = 20 * 1024 * 1024

# extension → (kind, content type, accepted leading bytes; empty: any text)
ALLOWED = {
    "jpg": (AttachmentKind.PHOTO, "image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": (AttachmentKind.PHOTO, "image/jpeg", (b"\xff\xd8\xff",)),
    "png": (AttachmentKind.PHOTO, "image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": (AttachmentKind.PHOTO, "image/gif", (b"GIF87a", b"GIF89a")),
    "webp": (AttachmentKind.PHOTO, "image/webp", (b"RIFF",)),
    "pdf": (AttachmentKind.DOCUMENT, "application/pdf", (b"%PDF-",)),
    "docx": (AttachmentKind.DOCUMENT,
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": (AttachmentKind.DOCUMENT, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             (b"PK\x03\x04",)),
    "doc": (AttachmentKind.DOCUMENT, "application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": (AttachmentKind.DOCUMENT, "application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "txt": (AttachmentKind.DOCUMENT, "text/plain", ()),
    "mp3": (AttachmentKind.AUDIO, "audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "m4a": (AttachmentKind.AUDIO, "audio/mp4", ()),
    "mp4": (AttachmentKind.VIDEO, "video/mp4", ()),
}


def max_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_ATTACHMENT_MAX_BYTES", MAX_BYTES_DEFAULT))


def add_attachment(event: Event, *, by, upload) -> Attachment:
    """Store one uploaded file for ``event`` after checking its type (by name and content) and size."""
    if upload is None:
        raise UserError("file_required", "请选择要上传的文件", "no file was uploaded", field="file")
    name = (getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(name) > 200:  # shorten the stem, keep the extension the type is read from
        name = name[: 199 - len(ext)] + "." + ext if ext and len(ext) < 20 else name[:200]
    if ext not in ALLOWED:
        accepted = ", ".join(sorted(ALLOWED))
        shown = f".{ext}" if ext else "(无扩展名 / no extension)"
        raise UserError("file_type", f"不支持的文件类型: {shown};可上传 {accepted}",
                        f"file type {shown} is not accepted; accepted: {accepted}", field="file")
    size = upload.size or 0
    if size <= 0:
        raise UserError("file_empty", "文件为空", "the file is empty", field="file")
    if size > max_bytes():
        raise UserError("file_too_large", f"文件超过{max_bytes() // (1024 * 1024)}MB",
                        f"the file is larger than {max_bytes() // (1024 * 1024)} MB", field="file")
    kind, content_type, magics = ALLOWED[ext]
    upload.seek(0)
    head = upload.read(16)
    if magics and not any(head.startswith(m) for m in magics):
        raise UserError("file_content", "文件内容与扩展名不符", "the file's content does not match its type", field="file")
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic(), context.explicit_audit():
        att = Attachment(event=event, original_name=name, content_type=content_type, kind=kind, size=size,
                         sha256=digest.hexdigest(), uploaded_by=by, uploaded_at=sla_now())
        att.file.save(name, upload, save=False)
        att.save()
        audit.record("event_attach", event, actor=by, after={"attachment": att.pk, "name": name, "size": size,
                                                             "sha256": att.sha256})
    return att
