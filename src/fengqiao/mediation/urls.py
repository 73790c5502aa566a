"""Console pages (include with ``path("mediation/", include("fengqiao.mediation.urls"))``)."""

from django.urls import path

from . import views

app_name = "mediation"

urlpatterns = [
    path("", views.dispute_list, name="disputes"),
    path("queue/", views.queue, name="queue"),
    path("screen/<int:centre_id>/", views.screen, name="screen"),
    path("register/", views.register, name="register"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/act/", views.dispute_act, name="act"),
    path("disputes/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("my/", views.my_cases, name="my"),
    path("stats/", views.stats_page, name="stats"),
    path("backlog/", views.backlog_list, name="backlog"),
]
