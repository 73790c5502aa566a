"""Console pages (``path("population/", include("fengqiao.population.urls"))``)."""

from django.urls import path

from . import views

app_name = "population"

urlpatterns = [
    path("houses/", views.house_list, name="houses"),
    path("houses/new/", views.house_new, name="house-new"),
    path("houses/<int:pk>/", views.house_detail, name="house-detail"),
    path("houses/<int:pk>/edit/", views.house_edit, name="house-edit"),
    path("houses/<int:pk>/remove/", views.house_remove, name="house-remove"),
    path("residents/", views.resident_list, name="residents"),
    path("residents/new/", views.resident_new, name="resident-new"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident-edit"),
    path("residents/<int:pk>/move-out/", views.resident_move_out, name="resident-move-out"),
]
