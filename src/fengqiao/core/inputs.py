"""Free text typed into an action (a reason, a report, a note): one rule for every app.

Stripped; refused with a bilingual 400 when required and empty, when longer than the limit,
or when it holds a control character other than tabs and line breaks (PostgreSQL cannot store
NUL, and none of them is ever meant). No models, so the
actions of any app can share it."""

from __future__ import annotations

import unicodedata

from django.utils import translation

from .errors import UserError

MAX_TEXT = 2000

#: the control characters a text of several lines (a note, a reason) may hold
LINE_BREAKS = frozenset("\t\n\r")


def has_control(value: str, *, lines: bool = False) -> bool:
    """Whether ``value`` holds a control character (C0, DEL, C1: never meant, invisible where it
    is shown or printed, and PostgreSQL cannot store NUL). A one-line text (a name, a number,
    an address, a code) holds no line or paragraph separator either; a text of several
    ``lines`` may hold tabs and line breaks (:data:`LINE_BREAKS`). One rule for every app."""
    for c in value:
        kind = unicodedata.category(c)
        if (kind == "Cc" and not (lines and c in LINE_BREAKS)) or (not lines and kind in ("Zl", "Zp")):
            return True
    return False


def clean_text(value, *, field: str = "text", zh: str = "内容", en: str = "the text", required: bool = False,
               max_len: int = MAX_TEXT) -> str:
    """``value`` stripped, or a :class:`UserError` naming ``field`` (``zh``/``en`` name it to people;
    ``en`` may be a lazy string of a transition table, rendered in English whatever the request's
    language)."""
    with translation.override("en"):
        en = str(en)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise UserError("text_required", f"请填写{zh}", f"{en} is required", field=field)
    if len(text) > max_len:
        raise UserError("text_too_long", f"{zh}不能超过 {max_len} 字", f"{en}: at most {max_len} characters",
                        field=field)
    if has_control(text, lines=True):  # NUL, a bell, an escape …: tabs and line breaks are text
        raise UserError("bad_text", f"{zh}含有不可见的控制字符", f"{en} holds an invisible control character",
                        field=field)
    return text


def whole_number(value, field: str) -> int:
    """A whole number given as such or as its digits (at most 9), else a 400 naming ``field``."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9:
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise UserError("bad_version" if field == "version" else "bad_number", f"{field} 应为整数",
                        f"{field} must be a whole number", field=field)
    return int(text)


def optional_version(value) -> int | None:
    """The record version a form or client sent (``None`` when it sent none): a whole number."""
    return None if value is None or value == "" else whole_number(value, "version")


#: the account a queued request was made by: the phone page sends it with every request it
#: queued, so a request kept on a shared phone is never sent in another account's session
SENDER_HEADER = "X-Fengqiao-User"


def same_sender(request) -> None:
    """Refuse (401 ``wrong_user``) a request whose :data:`SENDER_HEADER` names another account
    than the one signed in: the phone keeps it and asks for the right sign-in."""
    sent = request.headers.get(SENDER_HEADER, "").strip()
    if sent and sent != str(getattr(request.user, "pk", "")):
        raise UserError("wrong_user", "本页面登记的人员与当前登录的账号不同,请用原账号重新登录后再发送",
                        "this page was opened by another account than the one signed in now; sign in as that "
                        "account to send it", status=401)


#: the longest ``Idempotency-Key`` taken (the matters' limit)
MAX_IDEMPOTENCY_KEY = 100


def scoped_key(by, key) -> str | None:
    """A client's ``Idempotency-Key`` as stored: ``<user id>:<key>`` (ADR 0105: one user's key
    never answers for another's request), or none when no key was sent."""
    key = key.strip() if isinstance(key, str) else ""
    if len(key) > MAX_IDEMPOTENCY_KEY or "\x00" in key:
        raise UserError("invalid", "Idempotency-Key 过长或含有控制字符",
                        "the Idempotency-Key is too long or holds a NUL character", field="Idempotency-Key")
    return f"{by.pk}:{key}" if key else None
