from django.urls import path
from django.views.generic import RedirectView

from . import issuance_views, views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/confirm/", views.policy_confirm, name="confirm"),
    path("<int:pk>/submitted/", views.policy_submitted, name="submitted"),
    path("<int:pk>/receipt/", views.policy_receipt, name="receipt"),
    path("<int:pk>/decline/", views.policy_decline, name="decline"),
    # 统计分析 moved to the bureau's workbench (/bureau/); old bookmarks follow it
    path("stats/", RedirectView.as_view(pattern_name="bureaus:dashboard", query_string=True, permanent=True)),
    # eligibility and 申领 (policies/issuance_views.py)
    path("eligibility/", issuance_views.eligibility_panel, name="eligibility"),
    path("apply/<int:scheme_id>/", issuance_views.apply_view, name="apply"),
]
