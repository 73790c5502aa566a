"""Cache invalidation for the working calendar (a cross-cutting concern, not a business rule)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear
from .services import clear_calendar_cache


@receiver(post_save, sender=CalendarDay, dispatch_uid="workcal_day_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="workcal_day_deleted")
@receiver(post_save, sender=CalendarYear, dispatch_uid="workcal_year_saved")
@receiver(post_delete, sender=CalendarYear, dispatch_uid="workcal_year_deleted")
def _calendar_changed(sender, **kwargs) -> None:
    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)
