from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalConfig(AppConfig):
    name = "fengqiao.workcal"
    label = "workcal"
    verbose_name = _("working calendar")

    def ready(self) -> None:
        from . import signals  # noqa: F401
