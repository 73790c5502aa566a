"""``/api/v1/patrols/…`` (included with ``path("api/v1/patrols/", include(...))``)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("", api.PatrolViewSet, basename="patrol")

urlpatterns = router.urls
