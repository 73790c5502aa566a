"""``/api/v1/tasks/…`` (included with ``path("api/v1/tasks/", include(...))``): the tasks at
the root (``{id}`` is digits only) and the receipts under ``receipts/``."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("receipts", api.ReceiptViewSet, basename="task-receipt")
router.register("", api.TaskViewSet, basename="task")

urlpatterns = router.urls
