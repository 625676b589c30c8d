from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.center, name="center"),
    path("<int:pk>/open/", views.open_notice, name="open"),
    path("read-all/", views.read_all, name="read_all"),
    path("popup/", views.popup, name="popup"),
    path("dismiss/", views.dismiss, name="dismiss"),
]
