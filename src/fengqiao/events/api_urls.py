"""Matters API, included under ``/api/v1/`` by the root URLconf."""

from rest_framework.routers import SimpleRouter

from .api import CategoryViewSet, EventViewSet, NotificationViewSet

router = SimpleRouter(trailing_slash=True)
router.register("events", EventViewSet, basename="event")
router.register("categories", CategoryViewSet, basename="category")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
