from django.urls import path

from organisations import views

app_name = "organisations"

urlpatterns = [
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/deactivate/", views.account_deactivate, name="account_deactivate"),
]
