"""/bureau/: the commerce bureau's workbench."""
from django.urls import path

from . import views

app_name = "bureaus"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("enterprises/", views.enterprise_list, name="enterprises"),
]
