"""Test settings: same as base, with fast hashing and generated keys under a temp var dir."""

import os
import tempfile

os.environ.setdefault("FENGQIAO_VAR_DIR", tempfile.mkdtemp(prefix="fengqiao-test-"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # ``make test`` runs the suite on every core (pytest-xdist, ADR 0016): the workers inherit
    # the var dir the controlling process made, so each takes a folder of its own in it (its test
    # database, keys, uploads and outbox files), and no test reads another worker's files
    _worker_dir = os.path.join(os.environ["FENGQIAO_VAR_DIR"], os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(_worker_dir, exist_ok=True)
    os.environ["FENGQIAO_VAR_DIR"] = _worker_dir

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
