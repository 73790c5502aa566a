from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "fengqiao.alerts"
    label = "alerts"
    verbose_name = _("Risk early warning")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the periodic scan with huey)
