"""API conventions every app reuses: permissions by role, pagination, one error shape.

Error responses always look like ``{"error": CODE, "detail": MESSAGE, "detail_zh": …,
"detail_en": …}`` (plus ``fields`` for validation errors), in the caller's language.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import UserError
from .personal import PersonalDataError

log = logging.getLogger(__name__)

_MESSAGES = {
    "not_authenticated": ("请先登录或提供有效的令牌", "authentication credentials were not provided or are invalid"),
    "authentication_failed": ("身份验证失败", "authentication failed"),
    "permission_denied": ("您的角色无权执行此操作", "your role is not allowed to do this"),
    "not_found": ("记录不存在或不在您的管辖范围内", "not found or outside your jurisdiction"),
    "method_not_allowed": ("不支持该请求方法", "method not allowed"),
    "not_acceptable": ("无法提供所请求的格式", "the requested format is not available"),
    "unsupported_media_type": ("不支持的请求内容类型", "unsupported media type"),
    "throttled": ("请求过于频繁,请稍后再试", "too many requests, try again later"),
    "parse_error": ("请求内容无法解析", "the request body could not be parsed"),
    "invalid": ("提交的数据有误", "the submitted data is invalid"),
    "csrf_failed": ("会话请求缺少有效的 CSRF 令牌(请在 X-CSRFToken 头中发送 csrftoken Cookie 的值,或改用 API 令牌)",
                    "a signed-in session's write needs a valid CSRF token (send the csrftoken cookie's value "
                    "in X-CSRFToken, or use an API token)"),
}


#: messages of DRF and Django that reach a client untranslated or mistranslated, in the
#: caller's language: DRF writes "No data provided" without gettext, and Django's Chinese for
#: the NUL refusal reads "empty strings are not allowed" (naming it here puts it in this
#: project's catalogue, which Django reads before its own)
_REWORDED = {
    "No data provided": gettext_lazy("No data provided"),
    "Null characters are not allowed.": gettext_lazy("Null characters are not allowed."),
}


def _readable(data):
    """``data`` (DRF's error structure) with the messages of :data:`_REWORDED` put right."""
    if isinstance(data, dict):
        return {k: _readable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_readable(v) for v in data]
    if isinstance(data, str) and str(data) in _REWORDED:
        return exceptions.ErrorDetail(str(_REWORDED[str(data)]), code=getattr(data, "code", "invalid"))
    return data


def _bilingual(code: str) -> dict:
    zh, en = _MESSAGES.get(code, _MESSAGES["invalid"])
    return UserError(code, zh, en).as_dict()


def too_large() -> UserError:
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or with too many fields): 413, naming the limit."""
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    limit = f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 1024:.1f} KB"
    return UserError("too_large", f"请求内容过大(表单与 JSON 上限 {limit},附件请用上传接口)",
                     f"the request is too large (forms and JSON up to {limit}; send files to the upload "
                     "endpoint)", status=413)


def exception_handler(exc, context):
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return Response(too_large().as_dict(), status=413)
    if isinstance(exc, UserError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, PersonalDataError):
        return Response(UserError(exc.code, exc.message_zh, exc.message_en).as_dict(), status=400)
    if isinstance(exc, (OverflowError, DataError)):
        # A filter or field value the database cannot hold (e.g. an id with 40 digits).
        return Response(UserError("out_of_range", "提交的数值超出允许范围", "a submitted value is out of range").as_dict(),
                        status=400)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # a signed-in browser session's write without the CSRF token: not the role's fault
        return Response(_bilingual("csrf_failed"), status=403)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _readable(response.data)
        names = ", ".join(str(k) for k in fields)[:200] if isinstance(fields, dict) else ""
        zh, en = _MESSAGES["invalid"]
        # the reasons per field are in the caller's language; both messages name the fields
        body = UserError("invalid", f"{zh}: {names}" if names else zh, f"{en}: {names}" if names else en).as_dict()
        body["fields"] = fields
        response.data = body
        return response
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.NotAuthenticated):
        code = "not_authenticated"
    body = _bilingual(code)
    if code not in _MESSAGES:
        body["detail"] = str(getattr(exc, "detail", exc))
    response.data = body
    return response


def small_id(value) -> bool:
    """A record id as a client may send it: an int or ASCII digits, within a 64-bit column
    ("²".isdigit() is true and 30 digits overflow the column: both would be a 500)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 < value < 2**63
    return isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) <= 18
