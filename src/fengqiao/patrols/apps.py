from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "fengqiao.patrols"
    label = "patrols"
    verbose_name = _("Patrols")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the job that ends quiet patrols with huey)
