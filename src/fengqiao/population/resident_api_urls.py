"""``/api/v1/residents/…`` (included with ``path("api/v1/residents/", include(...))``)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("", api.ResidentViewSet, basename="resident")

urlpatterns = router.urls
