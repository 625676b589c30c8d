from django.urls import path

from singlewindow.enterprises import views as enterprise_views

from . import batch, views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<int:pk>/", views.policy_detail, name="detail"),
    path("<int:pk>/confirm/", views.policy_confirm, name="confirm"),
    path("<int:pk>/submitted/", views.policy_submitted, name="submitted"),
    path("<int:pk>/decline/", views.policy_decline, name="decline"),
    path("stats/", views.stats, name="stats"),
    # eligibility and 申领 (policies/batch.py); the bureau's data import and eligible list (enterprises/views.py)
    path("eligibility/", batch.eligibility_panel, name="eligibility"),
    path("apply/<int:scheme_id>/", batch.apply_view, name="apply"),
    path("imports/", enterprise_views.import_list, name="imports"),
    path("imports/<int:pk>/", enterprise_views.import_job, name="import_job"),
    path("imports/<int:pk>/report/", enterprise_views.import_report, name="import_report"),
    path("eligible/", enterprise_views.eligible_list, name="eligible"),
]
