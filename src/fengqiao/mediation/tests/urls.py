"""Root URLs plus this app's, for the private test settings only."""

from django.urls import include, path

from fengqiao.urls import urlpatterns as root_urlpatterns

urlpatterns = [
    path("api/v1/mediation/", include("fengqiao.mediation.api_urls")),
    path("mediation/", include("fengqiao.mediation.urls")),
    *root_urlpatterns,
]
