from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("documents/<int:pk>/", views.download, name="download"),
    path("verify/", views.verify, name="verify"),
    path("verify/ca.cer", views.ca_certificate, name="ca"),
]
