"""Errors a user can cause: a stable code, a Chinese and an English message, an HTTP status."""

from __future__ import annotations

from django.utils import translation


class UserError(Exception):
    status = 400

    def __init__(self, code: str, zh: str, en: str, *, status: int | None = None, field: str | None = None):
        super().__init__(f"{zh} ({en})")
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field
        if status is not None:
            self.status = status

    def message(self) -> str:
        lang = translation.get_language() or "zh-hans"
        return self.en if lang.startswith("en") else self.zh

    def as_dict(self) -> dict:
        data = {"error": self.code, "detail": self.message(), "detail_zh": self.zh, "detail_en": self.en}
        if self.field:
            data["field"] = self.field
        return data


class Conflict(UserError):
    """A forbidden or stale transition: someone else acted first, or the state does not allow it."""

    status = 409


class NotFound(UserError):
    status = 404

    def __init__(self, what_zh: str = "记录", what_en: str = "record"):
        super().__init__("not_found", f"{what_zh}不存在或不在您的管辖范围内", f"{what_en} not found or outside your jurisdiction")


class Forbidden(UserError):
    status = 403


def shown(value, limit: int = 40) -> str:
    """A client's value as a refusal repeats it: at most ``limit`` characters, NUL shown as a sign
    (an answer never echoes a 100,000-character input in bulk, in three copies)."""
    text = str(value).replace("\x00", "␀")
    return text if len(text) <= limit else text[:limit] + "…"
