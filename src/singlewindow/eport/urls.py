from django.urls import path

from . import views

app_name = "eport"
urlpatterns = [
    path("challenge/", views.login_challenge, name="challenge"),
    path("login/", views.card_login, name="login"),
    path("sign/<int:pk>/", views.confirm_challenge, name="sign_confirm"),
    path("sign/<int:pk>/decline/", views.decline_challenge, name="sign_decline"),
    path("control/<str:filename>", views.agent_download, name="agent_download"),
]
