"""OpenAPI schema extensions (drf-spectacular): what the generated schema cannot see by itself."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>`` (or ``Bearer <key>``), the key from ``fengqiao token USER``."""

    target_class = "fengqiao.accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: an API token of a user (`fengqiao token USERNAME`); "
            "what it may read and do is that user's role and jurisdiction.",
        }


def drop_slash_duplicates(endpoints):
    """Preprocessing hook: the PDF and Excel downloads are served at ``…/agreement.pdf`` and also,
    by the router, at ``…/agreement.pdf/``; the schema lists only the first."""
    return [e for e in endpoints if not e[0].endswith((".pdf/", ".xlsx/"))]


#: the one error shape (core.api.exception_handler, core.errors.UserError.as_dict)
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: a stable code and the message in Chinese and English "
    "(`detail` in the caller's language, `Accept-Language: en` for English).",
    "properties": {
        "error": {"type": "string", "description": "stable code, e.g. invalid, not_found, conflict"},
        "detail": {"type": "string"},
        "detail_zh": {"type": "string"},
        "detail_en": {"type": "string"},
        "field": {"type": "string", "description": "the input field at fault, when there is one"},
        "fields": {"type": "object", "additionalProperties": True,
                   "description": "validation errors per field (error invalid)"},
    },
    "required": ["error", "detail", "detail_zh", "detail_en"],
}

_ERRORS = {
    "400": "bad input (error invalid, out_of_range …)",
    "401": "not signed in (no or an unknown token)",
    "403": "the caller's role may never do this",
    "404": "no such record (or page), or it lies outside the caller's jurisdiction",
}
#: answered by the web server (gunicorn) before the application: no JSON body
_SERVER_ERRORS = {"414": "the address (query string) is longer than the web server accepts"}
_WRITE_ERRORS = {
    "409": "the record changed meanwhile (version), or its state does not allow the action",
    "413": "the request body is too large, or a form has too many fields (error too_large)",
    "415": "unsupported content type of the request body",
}


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation documents the error answers it can give (writes
    also 409, 413 and 415), all with the one error shape, so a client knows what a 4xx carries; and
    the web server's own 414, which has no JSON body."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            errors = _ERRORS if method == "get" else {**_ERRORS, **_WRITE_ERRORS}
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description,
                                            "content": {"application/json": {"schema": ref}}})
            for code, description in _SERVER_ERRORS.items():
                responses.setdefault(code, {"description": description})
    return result
