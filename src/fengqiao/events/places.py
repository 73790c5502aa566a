"""Place resolution hook (地址定位): address text → area node.

The default is a longest-name match over the names and aliases of towns and villages
(grids' names are not unique, so they are not used). A better resolver (triage) can replace
it through the setting ``FENGQIAO_PLACE_RESOLVER`` (dotted path of a function
``resolve(text, *, longitude=None, latitude=None, within=None) -> Area | None``).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.utils.module_loading import import_string

from fengqiao.areas.models import Area, Level

_cache: dict = {"at": 0.0, "names": []}
_lock = threading.Lock()
CACHE_SECONDS = 300


def _names() -> list[tuple[str, str, str]]:
    """``(name, code, path)`` of towns and villages, longest name first; cached per process."""
    now = time.monotonic()
    if _cache["names"] and now - _cache["at"] < CACHE_SECONDS:
        return _cache["names"]
    rows = []
    for code, name, path, aliases in Area.objects.filter(level__in=[Level.TOWN, Level.VILLAGE], is_active=True) \
            .values_list("code", "name", "path", "aliases"):
        for n in {name, *(aliases or [])}:
            if n and len(n) >= 2:
                rows.append((n, code, path))
    rows.sort(key=lambda r: (-len(r[0]), r[2]))
    with _lock:
        _cache.update(at=now, names=rows)
    return rows


def clear_cache() -> None:
    _cache.update(at=0.0, names=[])


def match_area(text: str, *, within: Area | None = None) -> Area | None:
    """The deepest town/village named in ``text`` (a village must agree with a named town)."""
    if not text:
        return None
    hits = [(n, code, path) for n, code, path in _names() if n in text]
    if within is not None:
        hits = [h for h in hits if h[2].startswith(within.path)]
    if not hits:
        return None
    towns = {path for _n, _c, path in hits if path.count("/") == 3}
    villages = [h for h in hits if h[2].count("/") > 3]
    if towns:
        villages = [h for h in villages if any(h[2].startswith(t) for t in towns)] or []
    best = (villages or hits)[0]  # longest name first
    return Area.objects.filter(code=best[1]).first()


def resolve_area(text: str, *, longitude=None, latitude=None, within: Area | None = None) -> Area | None:
    dotted = getattr(settings, "FENGQIAO_PLACE_RESOLVER", "")
    if dotted:
        return import_string(dotted)(text, longitude=longitude, latitude=latitude, within=within)
    return match_area(text, within=within)
