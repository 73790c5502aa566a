"""Background jobs (huey): the time-limit sweep and outbound deliveries, every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fengqiao.core import context, leases

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@leases.held("events-sla-sweep", ttl=15 * 60)
def sla_sweep():
    from .sweep import sweep

    with context.acting(None, channel="worker"):
        result = sweep()
    if any(result.values()):
        log.info("sla sweep: %s", result)
    return result


@db_periodic_task(crontab(minute="*"))
@leases.held("events-outbox", ttl=15 * 60)
def deliver_outbox():
    from .outbox import deliver_due

    with context.acting(None, channel="worker"):
        return deliver_due(limit=500)
