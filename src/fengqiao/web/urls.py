from django.contrib.auth import views as auth_views
from django.urls import path

from fengqiao.evaluation import views as evaluation

from . import audit, dashboard, intake, matters, phone, views

app_name = "web"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", matters.home, name="home"),
    path("matters/", matters.matter_list, name="matters"),
    path("matters/new/", intake.intake, name="intake"),
    path("matters/suggest/", intake.suggestions, name="suggest"),
    path("matters/export.xlsx", matters.export_xlsx, name="matters-export"),
    path("matters/bulk/", matters.bulk_action, name="matters-bulk"),
    path("matters/filters/", matters.save_filter, name="filter-save"),
    path("matters/filters/<int:pk>/delete/", matters.delete_filter, name="filter-delete"),
    path("matters/<int:pk>/", matters.matter_detail, name="matter"),
    path("matters/<int:pk>/act/<str:name>/", matters.matter_act, name="matter-act"),
    path("matters/<int:pk>/category/", matters.matter_category, name="matter-category"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("evaluation/", evaluation.evaluation_page, name="evaluation"),
    path("evaluation/publish/", evaluation.publish_view, name="evaluation-publish"),
    path("evaluation/export.<str:fmt>", evaluation.export_view, name="evaluation-export"),
    path("evaluation/published/<int:pk>/", evaluation.publication_page, name="evaluation-publication"),
    path("evaluation/published/<int:pk>/export.<str:fmt>", evaluation.publication_export,
         name="evaluation-publication-export"),
    path("m/", phone.phone_home, name="phone"),
    path("m/report/", phone.phone_report, name="phone-report"),
    path("m/sw.js", phone.service_worker, name="phone-sw"),
    path("m/manifest.json", phone.manifest, name="phone-manifest"),
    path("audit/", audit.audit_trail, name="audit"),
    path("areas/", views.area_browser, name="areas"),
    path("areas/<str:code>/", views.area_browser, name="area"),
    path("areas/<str:code>/geojson", views.area_geojson, name="area-geojson"),
]
