from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("charts/<slug:key>.svg", views.dashboard_chart, name="dashboard_chart"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/status/", views.run_status, name="run_status"),
    path("runs/<int:pk>/download/", views.run_download, name="run_download"),
    path("runs/<int:pk>/figures.json", views.run_figures, {"fmt": "json"}, name="run_figures_json"),
    path("runs/<int:pk>/figures.xlsx", views.run_figures, {"fmt": "xlsx"}, name="run_figures_xlsx"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run_retry"),
    path("final/<slug:slug>/", views.final_editor, name="final_editor"),
    path("final/<slug:slug>/preview/", views.final_preview, name="final_preview"),
    path("final/<slug:slug>/autosave/<slug:section>/", views.final_autosave, name="final_autosave"),
]
