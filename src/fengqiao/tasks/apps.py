from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "fengqiao.tasks"
    label = "tasks"
    verbose_name = _("Top-down tasks and notices")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the deadline reminder with huey)
