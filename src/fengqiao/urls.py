from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from django.views.defaults import page_not_found
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from fengqiao.accounts.api import MeView
from fengqiao.areas.api import AreaViewSet, DepartmentViewSet
from fengqiao.core.audit_api import AuditRecordViewSet
from fengqiao.core.errors import NotFound
from fengqiao.core.views import ApiRoot, healthz
from fengqiao.events.open311.views import error as open311_error

router = SimpleRouter(trailing_slash=True)
router.register("areas", AreaViewSet, basename="area")
router.register("departments", DepartmentViewSet, basename="department")
router.register("audit", AuditRecordViewSet, basename="audit")

api_v1 = [
    path("", ApiRoot.as_view(), name="api-root"),
    path("me/", MeView.as_view(), name="me"),
    path("", include("fengqiao.events.api_urls")),
    *router.urls,
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # browsers ask for /favicon.ico on pages that name no icon (Django's admin): the console's
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("fengqiao/favicon.svg"))),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/v1/triage/", include("fengqiao.triage.api_urls")),
    path("api/v1/mediation/", include("fengqiao.mediation.api_urls")),
    path("api/v1/alerts/", include("fengqiao.alerts.api_urls")),
    path("api/v1/key-persons/", include("fengqiao.grid.api_urls")),
    path("api/v1/check-points/", include("fengqiao.grid.point_api_urls")),
    path("api/v1/tasks/", include("fengqiao.tasks.api_urls")),
    path("api/v1/rental-houses/", include("fengqiao.population.house_api_urls")),
    path("api/v1/residents/", include("fengqiao.population.resident_api_urls")),
    path("api/v1/patrols/", include("fengqiao.patrols.api_urls")),
    path("mediation/", include("fengqiao.mediation.urls")),
    path("alerts/", include("fengqiao.alerts.urls")),
    path("grid/", include("fengqiao.grid.urls")),
    path("tasks/", include("fengqiao.tasks.urls")),
    path("population/", include("fengqiao.population.urls")),
    path("patrols/", include("fengqiao.patrols.urls")),
    path("open311/v2/", include("fengqiao.events.open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("fengqiao.web.urls")),
]



def not_found(request, exception=None):
    """``handler404``: an address under the API that matches no route (e.g. an id the route's
    pattern refuses) answers in the API's error shape, Open311 in its own; pages keep Django's
    HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(NotFound().as_dict(), status=404, json_dumps_params={"ensure_ascii": False})
    if request.path.startswith("/open311/"):
        return open311_error(404, "not found", "地址不存在")
    return page_not_found(request, exception)


handler404 = not_found

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
