"""Open311 GeoReport v2, included at ``/open311/v2/``."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^services\.(?P<fmt>[a-z]+)$", views.services, name="open311-services"),
    re_path(r"^services/(?P<code>[0-9A-Za-z_.-]+)\.(?P<fmt>[a-z]+)$", views.service_definition,
            name="open311-service"),
    re_path(r"^requests\.(?P<fmt>[a-z]+)$", views.requests, name="open311-requests"),
    re_path(r"^requests/(?P<pk>[0-9]{1,18})\.(?P<fmt>[a-z]+)$", views.request_detail, name="open311-request"),
]
