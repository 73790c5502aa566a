"""``/api/v1/mediation/…`` (include with ``path("api/v1/mediation/", include(...))``)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.register("disputes", api.DisputeViewSet, basename="mediation-dispute")
router.register("sessions", api.SessionViewSet, basename="mediation-session")
router.register("tickets", api.TicketViewSet, basename="mediation-ticket")
router.register("types", api.DisputeTypeViewSet, basename="mediation-type")
router.register("organisations", api.OrganisationViewSet, basename="mediation-organisation")
router.register("mediators", api.MediatorViewSet, basename="mediation-mediator")
router.register("templates", api.AgreementTemplateViewSet, basename="mediation-template")
router.register("backlog", api.BacklogViewSet, basename="mediation-backlog")
router.register("hearings", api.HearingViewSet, basename="mediation-hearing")

urlpatterns = [
    # Files keep their extension at the end of the address (the router's would end in "/").
    path("disputes/<int:pk>/agreement.pdf", api.DisputeViewSet.as_view({"get": "agreement"}),
         name="mediation-agreement-pdf"),
    path("disputes/export.xlsx", api.DisputeViewSet.as_view({"get": "export"}), name="mediation-register-xlsx"),
    path("stats/", api.StatsView.as_view(), name="mediation-stats"),
    path("match/", api.MatchView.as_view(), name="mediation-match"),
    *router.urls,
]
