"""Triage API, to be included under ``/api/v1/triage/`` by the root URLconf."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import SuggestView, TriageEventViewSet

router = SimpleRouter(trailing_slash=True)
router.register("events", TriageEventViewSet, basename="triage-event")

urlpatterns = [path("suggest/", SuggestView.as_view(), name="triage-suggest"), *router.urls]
