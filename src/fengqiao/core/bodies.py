"""The body of an API write, read before any action runs: an object, no keys the endpoint does
not take, and each value of the kind the endpoint names (text, text or null, or a kind the
endpoint reads itself). Anything else is a bilingual 400 naming the field, so an action never
sees a list where it expects text (it would take such a value for an empty one)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import UserError
from .serializers import refuse_unknown

TEXT, TEXT_OR_NULL = "text", "text_or_null"


def body_values(request, spec: Mapping[str, str], readers: Mapping[str, Callable] | None = None) -> dict:
    """The values of ``request.data`` named in ``spec`` (key → kind), those present only. A kind
    in ``readers`` is read by ``readers[kind](data, key)``; ``TEXT`` and ``TEXT_OR_NULL`` here
    (a form's last value)."""
    data = request.data
    if not isinstance(data, dict):
        raise UserError("invalid", "请求体应为对象", "the body must be an object")
    refuse_unknown(data, spec)
    readers = readers or {}
    out = {}
    for key, kind in spec.items():
        if key not in data:
            continue
        if kind in readers:
            out[key] = readers[kind](data, key)
            continue
        value = data.get(key)  # a form's last value
        if not (isinstance(value, str) or (value is None and kind == TEXT_OR_NULL)):
            raise UserError("invalid", f"{key} 应为文本", f"{key} must be text", field=key)
        out[key] = value
    return out
