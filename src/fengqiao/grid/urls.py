"""Console pages (include with ``path("grid/", include("fengqiao.grid.urls"))``)."""

from django.urls import path

from . import views

app_name = "grid"

urlpatterns = [
    path("key-persons/", views.person_list, name="list"),
    path("key-persons/new/", views.person_new, name="new"),
    path("key-persons/<int:pk>/", views.person_detail, name="detail"),
    path("key-persons/<int:pk>/visit/", views.person_visit, name="visit"),
    path("key-persons/<int:pk>/edit/", views.person_edit, name="edit"),
    path("key-persons/<int:pk>/remove/", views.person_remove, name="remove"),
]
