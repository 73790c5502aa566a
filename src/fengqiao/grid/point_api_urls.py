"""``/api/v1/check-points/…`` (included with ``path("api/v1/check-points/", include(...))``)."""

from rest_framework.routers import SimpleRouter

from . import point_api

router = SimpleRouter(trailing_slash=True)
router.register("", point_api.CheckPointViewSet, basename="check-point")

urlpatterns = router.urls
