"""Background job (huey): end the patrols whose phone has gone quiet, every ten minutes."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fengqiao.core import context, leases

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/10"))
@leases.held("patrols-close-idle", ttl=30 * 60)
def close_idle():
    from .actions import close_idle_patrols

    with context.acting(None, channel="worker"):
        closed = close_idle_patrols()
    if closed:
        log.info("patrols ended automatically: %s", closed)
    return closed
