"""``/api/v1/rental-houses/…`` (included with ``path("api/v1/rental-houses/", include(...))``)."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("", api.RentalHouseViewSet, basename="rental-house")

urlpatterns = router.urls
