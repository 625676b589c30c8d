from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("popup/", views.popup, name="popup"),
    path("dismiss/", views.dismiss, name="dismiss"),
]
