"""The root URLconf plus the triage API (until the root URLconf includes it)."""

from django.urls import include, path

from fengqiao.urls import urlpatterns as root

urlpatterns = [path("api/v1/triage/", include("fengqiao.triage.api_urls")), *root]
