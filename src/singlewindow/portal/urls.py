from django.contrib.auth import views as auth_views
from django.urls import path

from singlewindow.accounts import account_views
from singlewindow.eport.views import control_download

from . import staff, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("features/", views.features, name="features"),
    path("help/", views.faq, name="faq"),
    path("staff/", staff.staff_home, name="staff"),
    path("register/", account_views.register, name="register"),
    path("register/check/", account_views.register_check, name="register_check"),
    path("forgot-password/", account_views.recover_start, {"kind": "password"}, name="forgot_password"),
    path("forgot-username/", account_views.recover_start, {"kind": "username"}, name="forgot_username"),
    path("control/", control_download, name="control_download"),
]
