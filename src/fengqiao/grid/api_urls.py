"""``/api/v1/key-persons/…`` (included with ``path("api/v1/key-persons/", include(...))``)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("", api.KeyPersonViewSet, basename="key-person")

urlpatterns = router.urls
