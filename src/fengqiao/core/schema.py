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
