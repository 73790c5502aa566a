"""Notifications (通知): an in-app inbox plus pluggable channel adapters.

An adapter has a ``name`` and ``send(message)``. Configured adapters (setting
``FENGQIAO_NOTIFY_CHANNELS``, default ``["inbox"]``) each receive every message:

- ``inbox``: one :class:`~fengqiao.events.models.Notification` row per recipient;
- ``file``: one JSON line per message appended to ``FENGQIAO_NOTIFY_FILE``
  (default ``var/notifications.jsonl``), for a local relay or for debugging;
- ``webhook``: one :class:`~fengqiao.events.models.Outbox` delivery to the webhook named
  ``notifications`` (see :mod:`fengqiao.events.outbox`), delivered with retries.

Actions call :func:`notify_on_commit`. Adapters that only write rows of this database
(``inbox``, ``webhook``: ``transactional = True``) write them inside the action's transaction,
so a notice commits or rolls back with its change and costs no second transaction; the others
run after commit, so nothing leaves the machine for a rolled-back change.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.db import transaction

from fengqiao.core.personal import mask_free_text

log = logging.getLogger(__name__)


@dataclass
class Message:
    kind: str
    title: str
    body: str = ""
    user_ids: list[int] = field(default_factory=list)
    event_id: int | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)


class ChannelAdapter(Protocol):
    name: str
    #: True when ``send`` only writes rows of this database (then it runs in the caller's
    #: transaction); False for anything that leaves the process (runs after commit).
    transactional: bool

    def send(self, message: Message) -> None: ...


class InboxAdapter:
    name = "inbox"
    transactional = True

    def send(self, message: Message) -> None:
        from .models import Notification

        Notification.objects.bulk_create([
            Notification(user_id=uid, event_id=message.event_id, kind=message.kind, title=message.title[:200],
                         body=message.body)
            for uid in dict.fromkeys(message.user_ids)
        ])


class FileAdapter:
    name = "file"
    transactional = False
    _lock = threading.Lock()

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or getattr(settings, "FENGQIAO_NOTIFY_FILE", "") or settings.VAR_DIR / "notifications.jsonl")

    def send(self, message: Message) -> None:
        line = json.dumps(asdict(message), ensure_ascii=False)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class WebhookAdapter:
    name = "webhook"
    transactional = True

    def send(self, message: Message) -> None:
        from . import outbox

        outbox.enqueue("notification", "notifications", asdict(message), f"notify-{message.key}",
                       event_id=message.event_id)


ADAPTERS: dict[str, type] = {"inbox": InboxAdapter, "file": FileAdapter, "webhook": WebhookAdapter}


def register(name: str, adapter_class: type) -> None:
    """Add a channel adapter (e.g. SMS, 浙政钉) under ``name``."""
    ADAPTERS[name] = adapter_class


def adapters() -> list[ChannelAdapter]:
    names = getattr(settings, "FENGQIAO_NOTIFY_CHANNELS", None) or ["inbox"]
    return [ADAPTERS[n]() for n in names if n in ADAPTERS]


def send(message: Message, channels: list[ChannelAdapter] | None = None) -> None:
    if not message.user_ids:
        return
    for adapter in adapters() if channels is None else channels:
        try:
            adapter.send(message)
        except Exception:  # one broken channel must not stop the others
            log.exception("notification channel %s failed", adapter.name)


def notify_on_commit(user_ids, kind: str, title: str, body: str = "", event_id: int | None = None) -> None:
    ids = [int(u) for u in user_ids if u]
    if not ids:
        return
    # a notification travels (an SMS, a webhook) and is read on a phone's lock screen: numbers
    # typed into a matter's words stay masked in it (ADR 0120)
    message = Message(kind=kind, title=mask_free_text(str(title)), body=mask_free_text(str(body)), user_ids=ids,
                      event_id=event_id)
    chosen = adapters()
    if transaction.get_connection().in_atomic_block:
        # Rows of this database go in with the change (an error here rolls the change back:
        # a broken database is not a broken channel); the rest wait for the commit.
        for adapter in chosen:
            if getattr(adapter, "transactional", False):
                adapter.send(message)
        later = [a for a in chosen if not getattr(a, "transactional", False)]
        if later:
            transaction.on_commit(lambda: send(message, later))
    else:
        send(message, chosen)
