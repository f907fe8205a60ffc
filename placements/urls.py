from django.urls import path

from placements import views

app_name = "placements"

urlpatterns = [
    path("", views.placement_list_view, name="list"),
    path("export.csv", views.placement_export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.placement_export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("new/", views.placement_create, name="create"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/", views.placement_detail, name="detail"),
    path("<int:pk>/edit/", views.placement_edit, name="edit"),
    path("<int:pk>/pause/", views.placement_pause, name="pause"),
    path("<int:pk>/reopen/", views.placement_reopen, name="reopen"),
    path("<int:pk>/close/", views.placement_close, name="close"),
    path("<int:pk>/assignments/<int:assignment_pk>/confirm/", views.assignment_confirm, name="assignment_confirm"),
    path("<int:pk>/assignments/<int:assignment_pk>/decline/", views.assignment_decline, name="assignment_decline"),
    path("supervisors/", views.supervisor_list, name="supervisor_list"),
    path("supervisors/new/", views.supervisor_create_view, name="supervisor_create"),
    path("supervisors/<int:pk>/edit/", views.supervisor_edit, name="supervisor_edit"),
    path("organisations/", views.organisation_overview, name="organisation_overview"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
]
