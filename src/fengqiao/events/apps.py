from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "fengqiao.events"
    label = "events"
