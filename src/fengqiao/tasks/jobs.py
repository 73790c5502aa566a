"""Background job (huey): deadline reminders of published tasks every fifteen minutes."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fengqiao.core import context, leases

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/15"))
@leases.held("tasks-remind-due", ttl=30 * 60)
def remind_due():
    from .actions import remind_due as run

    with context.acting(None, channel="worker"):
        told = run()
    if any(told.values()):
        log.info("task deadline reminders: %s", told)
    return told
