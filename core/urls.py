from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_log_list, name="audit_log"),
    path("mail/", views.outbox, name="outbox"),
    path("mail/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
]
