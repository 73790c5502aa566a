"""Uploaded files (附件), one rule for every app: the types accepted (by extension and by the
file's first bytes), the size limit, the content digest, and how a stored file is sent back.

A file is served only by a view that has checked the reader may see its record (ADR 0111): never
from ``MEDIA_URL``, always sandboxed and without type sniffing, so an upload never runs as a
page of this site."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import FileResponse

from .errors import UserError

MAX_BYTES_DEFAULT = 20 * 1024 * 1024
PHOTO, DOCUMENT, AUDIO, VIDEO = "photo", "document", "audio", "video"

# extension → (kind, content type, accepted leading bytes; empty: any)
ALLOWED = {
    "jpg": (PHOTO, "image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": (PHOTO, "image/jpeg", (b"\xff\xd8\xff",)),
    "png": (PHOTO, "image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": (PHOTO, "image/gif", (b"GIF87a", b"GIF89a")),
    "webp": (PHOTO, "image/webp", (b"RIFF",)),
    "pdf": (DOCUMENT, "application/pdf", (b"%PDF-",)),
    "docx": (DOCUMENT, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": (DOCUMENT, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": (DOCUMENT, "application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": (DOCUMENT, "application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "txt": (DOCUMENT, "text/plain", ()),
    "mp3": (AUDIO, "audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "m4a": (AUDIO, "audio/mp4", ()),
    "mp4": (VIDEO, "video/mp4", ()),
}

#: file types a browser may show in its own window; anything else is downloaded
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"})


def max_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_ATTACHMENT_MAX_BYTES", MAX_BYTES_DEFAULT))


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed :func:`check_upload`, rewound, with what its record stores."""

    upload: object
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload, *, field: str = "file") -> CheckedUpload:
    """Check one uploaded file's type (by name and content) and size; a bilingual 400 otherwise."""
    if upload is None:
        raise UserError("file_required", "请选择要上传的文件", "no file was uploaded", field=field)
    name = (getattr(upload, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(name) > 200:  # shorten the stem, keep the extension the type is read from
        name = name[: 199 - len(ext)] + "." + ext if ext and len(ext) < 20 else name[:200]
    if ext not in ALLOWED:
        accepted = ", ".join(sorted(ALLOWED))
        shown = f".{ext}" if ext else "(无扩展名 / no extension)"
        raise UserError("file_type", f"不支持的文件类型: {shown};可上传 {accepted}",
                        f"file type {shown} is not accepted; accepted: {accepted}", field=field)
    size = upload.size or 0
    if size <= 0:
        raise UserError("file_empty", "文件为空", "the file is empty", field=field)
    if size > max_bytes():
        raise UserError("file_too_large", f"文件超过{max_bytes() // (1024 * 1024)}MB",
                        f"the file is larger than {max_bytes() // (1024 * 1024)} MB", field=field)
    kind, content_type, magics = ALLOWED[ext]
    upload.seek(0)
    head = upload.read(16)
    if magics and not any(head.startswith(m) for m in magics):
        raise UserError("file_content", "文件内容与扩展名不符", "the file's content does not match its type", field=field)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(upload=upload, name=name, kind=kind, content_type=content_type, size=size,
                         sha256=digest.hexdigest())


def stored_path(folder: str, sha256: str, filename: str, now) -> str:
    """Where a file is stored: ``folder/YYYY/MM/<digest>.<ext>`` (the name people gave it is
    kept on the record, never in the path)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{folder}/{now:%Y/%m}/{sha256[:32]}.{ext}"


def file_response(fieldfile, content_type: str, name: str) -> FileResponse:
    """A stored file (already checked to be visible to the caller) under its original name;
    never rendered as a page of this site (sandboxed, no sniffing)."""
    try:
        handle = fieldfile.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise UserError("file_missing", "附件文件已丢失,请联系管理员", "the attachment's file is missing; tell the administrator",
                        status=404) from exc
    resp = FileResponse(handle, content_type=content_type, as_attachment=content_type not in INLINE_TYPES,
                        filename=name)
    resp["Content-Security-Policy"] = "sandbox"
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, max-age=3600"
    return resp
