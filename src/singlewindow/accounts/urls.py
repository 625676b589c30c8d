from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("bind/", views.bind, name="bind"),
]
