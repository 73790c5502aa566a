"""Background jobs (huey): the mediation time-limit sweep every five minutes."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fengqiao.core import context, leases


@db_periodic_task(crontab(minute="*/5"))
@leases.held("mediation-sweep", ttl=15 * 60)
def mediation_sweep():
    from .actions.sweep import sweep

    with context.acting(None, channel="worker"):
        return sweep()
