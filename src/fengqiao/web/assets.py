"""Front-end packages come from npm (package.json + lock file), never from a CDN.

``fengqiao assets`` copies the few files the console needs from ``node_modules`` into
``var/vendor`` (a STATICFILES_DIRS entry), so collectstatic/whitenoise serve them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

VENDOR_FILES = {
    "htmx.org/dist/htmx.min.js": "vendor/htmx.min.js",
    "echarts/dist/echarts.min.js": "vendor/echarts.min.js",
    "leaflet/dist/leaflet.js": "vendor/leaflet/leaflet.js",
    "leaflet/dist/leaflet.js.map": "vendor/leaflet/leaflet.js.map",
    "leaflet/dist/leaflet.css": "vendor/leaflet/leaflet.css",
    "leaflet/dist/images": "vendor/leaflet/images",
}


def copy_vendor_assets(node_modules: Path, target: Path) -> list[str]:
    missing = []
    for src_rel, dst_rel in VENDOR_FILES.items():
        src = node_modules / src_rel
        dst = target / dst_rel
        if not src.exists():
            missing.append(src_rel)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    return missing
