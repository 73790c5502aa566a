"""Console pages (include with ``path("tasks/", include("fengqiao.tasks.urls"))``)."""

app_name = "tasks"

urlpatterns: list = []
