from django.urls import path

from core import import_views, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_log_list, name="audit_log"),
    path("mail/", views.outbox, name="outbox"),
    path("mail/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
    path("imports/<uuid:token>/", import_views.import_job, name="import_job"),
    path("imports/<uuid:token>/status/", import_views.import_job_status, name="import_job_status"),
]
