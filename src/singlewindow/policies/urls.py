from django.urls import path

from singlewindow.enterprises import views as enterprise_views

from . import issuance_views, views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/confirm/", views.policy_confirm, name="confirm"),
    path("<int:pk>/submitted/", views.policy_submitted, name="submitted"),
    path("<int:pk>/decline/", views.policy_decline, name="decline"),
    path("stats/", views.stats, name="stats"),
    # eligibility and 申领 (policies/issuance_views.py); the bureau's data import and eligible list (enterprises/views.py)
    path("eligibility/", issuance_views.eligibility_panel, name="eligibility"),
    path("apply/<int:scheme_id>/", issuance_views.apply_view, name="apply"),
    path("imports/", enterprise_views.import_list, name="imports"),
    path("imports/<int:pk>/", enterprise_views.import_job, name="import_job"),
    path("imports/<int:pk>/report/", enterprise_views.import_report, name="import_report"),
    path("eligible/", enterprise_views.eligible_list, name="eligible"),
]
