from django.urls import path

from . import insurer_views as views

app_name = "insurer"
urlpatterns = []
