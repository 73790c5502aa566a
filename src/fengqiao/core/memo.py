"""Per-process memos for hot reads of rows that rarely change (时效缓存).

Intake reads the same few rows on every request: the caller's API token and user, the
operators of a town's command centre, the area a place name resolves to. A :class:`Memo` keeps
such values for ``seconds`` in this process. A save or delete of any model named in
``invalidated_by`` clears the memo in the process that made the change at once; other worker
processes see the change when their entries expire, so ``seconds`` is the longest time a
change (a revoked token, a new operator) can go unseen. ``seconds=0`` turns the memo off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.db.models.signals import post_delete, post_save

_MISSING = object()


class Memo:
    def __init__(self, name: str, seconds: float | Callable[[], float], *, invalidated_by: Iterable[str] = (),
                 max_entries: int = 10_000):
        self.name = name
        self._seconds = seconds
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _all.append(self)
        for label in invalidated_by:
            _watch(label, self)

    @property
    def seconds(self) -> float:
        return float(self._seconds() if callable(self._seconds) else self._seconds)

    def get(self, key: Hashable, compute: Callable[[], Any], *, keep_none: bool = True) -> Any:
        """The value for ``key``, computed (and kept) when missing or expired. With
        ``keep_none=False`` a ``None`` answer is not kept (a miss stays a miss: unknown keys
        sent by anyone must not fill the memo and push out the known ones)."""
        ttl = self.seconds
        if ttl <= 0:
            return compute()
        now = time.monotonic()
        hit = self._data.get(key, _MISSING)
        if hit is not _MISSING and hit[0] > now:
            return hit[1]
        value = compute()
        if value is None and not keep_none:
            return None
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_watchers: dict[str, list[Memo]] = {}
_all: list[Memo] = []


def _watch(label: str, memo: Memo) -> None:
    _watchers.setdefault(label.lower(), []).append(memo)


def _changed(sender, **kwargs) -> None:
    for memo in _watchers.get(sender._meta.label_lower, ()):
        memo.clear()


def clear_all() -> None:
    """Forget every memo of this process (tests; after a bulk change outside the ORM)."""
    for memo in _all:
        memo.clear()


post_save.connect(_changed, dispatch_uid="fengqiao.core.memo.save")
post_delete.connect(_changed, dispatch_uid="fengqiao.core.memo.delete")
