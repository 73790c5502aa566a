"""Production: every secret must come from the environment; nothing is generated."""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ["FENGQIAO_GENERATE_KEYS"] = "0"
for _name in ("SECRET_KEY", "FENGQIAO_DATA_KEY", "FENGQIAO_HASH_KEY", "FENGQIAO_AUDIT_KEY"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in the environment for production")

from .base import *  # noqa: E402, F403

DEBUG = False
SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
