from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "fengqiao.triage"
    label = "triage"
