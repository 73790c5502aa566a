from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PopulationConfig(AppConfig):
    name = "fengqiao.population"
    label = "population"
    verbose_name = _("Residents and rental housing")
