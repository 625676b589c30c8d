from django.urls import path

from . import insurer_views as views
from . import issuance_views, schemes

app_name = "insurer"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("approve/", views.approve_selected, name="approve_selected"),
    path("issue/", views.issue, name="issue"),
    path("schemes/", schemes.scheme_list, name="schemes"),
    path("schemes/new/", schemes.scheme_create, name="scheme_new"),
    path("schemes/<int:pk>/", schemes.scheme_edit, name="scheme_edit"),
    path("batch/", issuance_views.batch_page, name="batch"),
    path("batch/<int:pk>/", issuance_views.batch_run, name="batch_run"),
    path("applications/", issuance_views.application_list, name="applications"),
    path("applications/<int:pk>/issue/", issuance_views.application_issue, name="application_issue"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.policy_action, name="action"),
]
