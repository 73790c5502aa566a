"""Console pages (include with ``path("tasks/", include("fengqiao.tasks.urls"))``)."""

from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.task_list, name="list"),
    path("new/", views.task_new, name="new"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/act/<str:name>/", views.task_act, name="act"),
    path("<int:pk>/receipts/<int:rid>/act/<str:name>/", views.receipt_act, name="receipt-act"),
    path("<int:pk>/files/<int:fid>/", views.task_file, name="file"),
]
