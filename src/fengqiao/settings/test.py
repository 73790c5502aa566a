"""Test settings: same as base, with fast hashing and generated keys under a temp var dir."""

import os
import tempfile

os.environ.setdefault("FENGQIAO_VAR_DIR", tempfile.mkdtemp(prefix="fengqiao-test-"))

from .base import *  # noqa: F403
from .base import DATABASES, HUEY, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
# seal the audit chain in the committing thread: deterministic, and no background thread holds
# a connection to the test database when it is dropped
FENGQIAO_AUDIT_SEAL = "commit"

# A file (not in-memory) SQLite test database, so concurrent writers wait (WAL + busy
# timeout) exactly as in production instead of failing at once.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
