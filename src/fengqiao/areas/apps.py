from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "fengqiao.areas"
    label = "areas"
