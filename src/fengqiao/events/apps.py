from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "fengqiao.events"
    label = "events"
    verbose_name = _("Matters")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the periodic tasks with huey)
