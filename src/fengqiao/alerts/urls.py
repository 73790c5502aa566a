"""Console pages (include with ``path("alerts/", include("fengqiao.alerts.urls"))``)."""

from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/act/<str:name>/", views.alert_act, name="act"),
]
