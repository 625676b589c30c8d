from django.urls import path

from . import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/confirm/", views.policy_confirm, name="confirm"),
    path("<int:pk>/submitted/", views.policy_submitted, name="submitted"),
    path("<int:pk>/decline/", views.policy_decline, name="decline"),
    path("stats/", views.stats, name="stats"),
]
