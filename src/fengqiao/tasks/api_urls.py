"""``/api/v1/tasks/…`` (included with ``path("api/v1/tasks/", include(...))``)."""

urlpatterns: list = []
