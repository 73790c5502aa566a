"""``/api/v1/alerts/…`` (included with ``path("api/v1/alerts/", include(...))``)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("", api.AlertViewSet, basename="alert")

urlpatterns = router.urls
