"""Console pages (``path("patrols/", include("fengqiao.patrols.urls"))``)."""

from django.urls import path

from . import views

app_name = "patrols"

urlpatterns = [
    path("", views.patrol_list, name="list"),
    path("<int:pk>/", views.patrol_detail, name="detail"),
]
