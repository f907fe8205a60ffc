from django.contrib import admin
from django.urls import include, path

from core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("tillganglighet/", core_views.accessibility_statement, name="accessibility"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("core/", include("core.urls")),
    path("organisations/", include("organisations.urls")),
    path("placements/", include("placements.urls")),
    path("participants/", include("participants.urls")),
    path("reports/", include("reporting.urls")),
]
