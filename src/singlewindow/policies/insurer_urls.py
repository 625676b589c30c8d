from django.urls import path

from . import insurer_views as views

app_name = "insurer"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("approve/", views.approve_selected, name="approve_selected"),
    path("issue/", views.issue, name="issue"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.policy_action, name="action"),
]
