from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from . import jobs, signals  # noqa: F401  (signals; periodic housekeeping for huey)
