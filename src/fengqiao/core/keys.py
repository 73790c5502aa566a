"""Secrets: from the environment, or generated once into ``var/keys.json`` for the demo."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

KEY_NAMES = ("SECRET_KEY", "FENGQIAO_DATA_KEY", "FENGQIAO_HASH_KEY", "FENGQIAO_AUDIT_KEY")


def _new_key(name: str) -> str:
    if name == "FENGQIAO_DATA_KEY":
        # A Fernet key: 32 url-safe base64-encoded bytes.
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(48)


def load_or_create_keys(var_dir: Path, *, allow_generate: bool = True) -> dict[str, str]:
    """Return every key, preferring the environment, then ``var/keys.json``.

    Missing keys are generated into ``var/keys.json`` (mode 0600) when ``allow_generate``;
    production settings turn generation off and require the environment instead.
    """
    path = Path(var_dir) / "keys.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    keys: dict[str, str] = {}
    changed = False
    for name in KEY_NAMES:
        value = os.environ.get(name) or stored.get(name)
        if not value:
            if not allow_generate:
                from django.core.exceptions import ImproperlyConfigured

                raise ImproperlyConfigured(f"{name} is not set")
            value = _new_key(name)
            stored[name] = value
            changed = True
        keys[name] = value
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(stored, fh, indent=2)
        os.replace(tmp, path)
    return keys
