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

# Served over HTTPS (the default): browsers are told to keep to it (HSTS, a year; 0 turns it
# off), and plain HTTP is redirected. Behind a reverse proxy that ends TLS, set
# FENGQIAO_PROXY_SSL_HEADER=1 so the proxy's X-Forwarded-Proto: https is believed (only when
# the proxy sets that header itself and clients cannot reach the server around it).
SECURE_HSTS_SECONDS = env_int("FENGQIAO_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0, minimum=0)  # noqa: F405
SECURE_SSL_REDIRECT = env_bool("FENGQIAO_SSL_REDIRECT", SESSION_COOKIE_SECURE)  # noqa: F405
if env_bool("FENGQIAO_PROXY_SSL_HEADER", False):  # noqa: F405
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a load balancer's health check may come over plain HTTP
