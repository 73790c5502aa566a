"""Request body parsers of the API (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

Kept apart from ``core.api``: DRF reads this setting while it defines ``APIView``, which
``core.api`` imports.
"""

from __future__ import annotations

from rest_framework import parsers

from .errors import UserError


def has_lone_surrogate(value) -> bool:
    """Whether a parsed JSON value holds a string (a value or a key) with a lone UTF-16
    surrogate (``"\\ud800"``): valid JSON, but no text a database, a log or a response can
    encode. Walks with its own stack, so deep nesting costs no recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses text no UTF-8 column can store. Serializer fields already
    refuse it (DRF's ``ProhibitSurrogateCharactersValidator``); the action endpoints read their
    parameters from the body directly, and such a value reached the database as a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # json gives up on arrays nested about a thousand deep
            raise UserError("parse_error", "请求内容嵌套过深,无法解析",
                            "the request body is nested too deeply to be parsed") from None
        if has_lone_surrogate(data):
            raise UserError("invalid_text", "提交的文本含有无效字符(孤立的 UTF-16 代理码)",
                            "the submitted text contains an invalid character (a lone UTF-16 surrogate)")
        return data
