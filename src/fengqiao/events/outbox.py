"""Outbound deliveries (外发): 12345/110 feedback and webhook notifications.

``enqueue`` writes an :class:`~fengqiao.events.models.Outbox` row in the caller's transaction
(the transactional-outbox pattern: the change and its delivery commit together).
``deliver_due`` POSTs due rows as JSON with an ``Idempotency-Key`` header; a 2xx answer marks
a row delivered, anything else schedules a retry with exponential backoff
(``base × 2^(attempts-1)``, capped), up to ``MAX_ATTEMPTS``. A row is claimed with a
conditional update before it is sent, so two workers never send it at the same time; a
receiver that keeps the keys it has seen processes every change exactly once even when an
answer is lost and the row is sent again.

Webhooks are configured by name in the setting ``FENGQIAO_WEBHOOKS`` (``{"hotline_12345":
URL, "police_110": URL, "notifications": URL}``) or the environment variable of the same name
(``name=url,name=url``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db.models import F

from .choices import OutboxStatus
from .sla import now as _now

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
LEASE_SECONDS = 120.0
TIMEOUT_SECONDS = 10.0
#: a run claims no new row after this long, so it ends well inside its job lease (15 minutes,
#: ``events.jobs``) even when every receiver times out; what is left waits for the next minute
RUN_BUDGET_SECONDS = 300.0


def webhooks() -> dict[str, str]:
    configured = getattr(settings, "FENGQIAO_WEBHOOKS", None)
    if configured:
        return dict(configured)
    raw = os.environ.get("FENGQIAO_WEBHOOKS", "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {k.strip(): v.strip() for k, v in pairs}


def enqueue(topic: str, target: str, payload: dict, key: str, *, event_id: int | None = None):
    """Queue one delivery to the webhook named ``target``; ``None`` if it is not configured."""
    from .models import Outbox

    url = webhooks().get(target)
    if not url:
        return None
    row, _created = Outbox.objects.get_or_create(
        idempotency_key=key[:100],
        defaults={"topic": topic, "target": target, "url": url, "payload": payload, "event_id": event_id},
    )
    return row


def backoff(attempts: int, base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_CAP_SECONDS) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def _post(url: str, payload: dict, key: str, topic: str) -> tuple[bool, str]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": key,
        "X-Fengqiao-Topic": topic,
        "User-Agent": "fengqiao-outbox/1",
    })
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:
            return 200 <= resp.status < 300, f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return False, f"{type(exc).__name__}: {exc}"[:500]


def deliver_due(limit: int = 100, *, at: dt.datetime | None = None, base: float = BACKOFF_BASE_SECONDS,
                budget: float = RUN_BUDGET_SECONDS) -> dict:
    """Send the deliveries that are due; return counts ``{sent, failed, dead}``.

    Each row's claim, delivery time and retry time are taken when that row is handled (``at``
    fixes them all, for tests): a claim stamped with the run's start would look due again to
    another run once the first had spent ``LEASE_SECONDS`` on slow receivers. No new row is
    claimed after ``budget`` seconds."""
    from .models import Outbox

    clock = (lambda: at) if at is not None else _now
    started = time.monotonic()
    counts = {"sent": 0, "failed": 0, "dead": 0}
    due = list(Outbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=clock())
               .order_by("next_attempt_at", "id").values_list("id", "attempts", "next_attempt_at")[:limit])
    for pk, attempts, next_at in due:
        if time.monotonic() - started > budget:
            break  # the rest stay due for the next run
        lease = clock() + dt.timedelta(seconds=LEASE_SECONDS)
        claimed = Outbox.objects.filter(pk=pk, status=OutboxStatus.PENDING, attempts=attempts,
                                        next_attempt_at=next_at).update(next_attempt_at=lease)
        if claimed != 1:
            continue  # another worker has it
        row = Outbox.objects.get(pk=pk)
        ok, info = _post(row.url, row.payload, row.idempotency_key, row.topic)
        if ok:
            Outbox.objects.filter(pk=pk).update(status=OutboxStatus.DELIVERED, delivered_at=clock(),
                                                attempts=F("attempts") + 1, last_error="")
            counts["sent"] += 1
            continue
        tried = attempts + 1
        if tried >= MAX_ATTEMPTS:
            Outbox.objects.filter(pk=pk).update(status=OutboxStatus.DEAD, attempts=tried, last_error=info)
            counts["dead"] += 1
            log.warning("outbox %s to %s given up after %s attempts: %s", pk, row.target, tried, info)
        else:
            retry = clock() + dt.timedelta(seconds=backoff(tried, base))
            Outbox.objects.filter(pk=pk).update(attempts=tried, next_attempt_at=retry, last_error=info)
            counts["failed"] += 1
    return counts
