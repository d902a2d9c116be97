from django.urls import path

from senda.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("password/", views.password_change, name="password_change"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/<slug:what>/", views.member_action, name="member_action"),
]
