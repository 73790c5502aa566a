"""Console pages (include with ``path("grid/", include("fengqiao.grid.urls"))``)."""

from django.urls import path

from . import point_views, views

app_name = "grid"

urlpatterns = [
    path("key-persons/", views.person_list, name="list"),
    path("key-persons/new/", views.person_new, name="new"),
    path("key-persons/<int:pk>/", views.person_detail, name="detail"),
    path("key-persons/<int:pk>/visit/", views.person_visit, name="visit"),
    path("key-persons/<int:pk>/edit/", views.person_edit, name="edit"),
    path("key-persons/<int:pk>/remove/", views.person_remove, name="remove"),
    path("check-points/", point_views.point_list, name="points"),
    path("check-points/new/", point_views.point_new, name="point-new"),
    path("check-points/<int:pk>/", point_views.point_detail, name="point-detail"),
    path("check-points/<int:pk>/inspect/", point_views.point_inspect, name="point-inspect"),
    path("check-points/<int:pk>/edit/", point_views.point_edit, name="point-edit"),
    path("check-points/<int:pk>/remove/", point_views.point_remove, name="point-remove"),
]
