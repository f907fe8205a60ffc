from django.urls import path

from organisations import setup_views, views

app_name = "organisations"

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/deactivate/", views.account_deactivate, name="account_deactivate"),
    path("setup/", setup_views.setup_index, name="setup"),
    path("setup/organisations/", setup_views.organisation_list, name="setup_organisations"),
    path("setup/organisations/new/", setup_views.organisation_create, name="setup_organisation_create"),
    path("setup/organisations/<int:pk>/", setup_views.organisation_edit, name="setup_organisation"),
    path("setup/organisations/<int:pk>/units/new/", setup_views.unit_create, name="setup_unit_create"),
    path("setup/units/<int:pk>/", setup_views.unit_edit, name="setup_unit"),
    path("setup/projects/", setup_views.project_list, name="setup_projects"),
    path("setup/projects/new/", setup_views.project_create, name="setup_project_create"),
    path("setup/projects/<int:pk>/", setup_views.project_detail, name="setup_project"),
    path("setup/projects/<int:pk>/edit/", setup_views.project_edit, name="setup_project_edit"),
    path("setup/projects/<int:pk>/<slug:kind>/new/", setup_views.project_row_edit, name="setup_project_row_create"),
    path("setup/projects/<int:pk>/<slug:kind>/<int:row_pk>/", setup_views.project_row_edit,
         name="setup_project_row"),
    path("setup/projects/<int:pk>/<slug:kind>/<int:row_pk>/delete/", setup_views.project_row_delete,
         name="setup_project_row_delete"),
    path("setup/lists/<slug:slug>/", setup_views.category_list, name="setup_category_list"),
    path("setup/lists/<slug:slug>/new/", setup_views.category_edit, name="setup_category_create"),
    path("setup/lists/<slug:slug>/<int:entry_pk>/", setup_views.category_edit, name="setup_category"),
]
