"""/subsidies/: 申请拨付 (the insurer), 拨付审核 and 预算管理 (the bureau), 补贴台账 and the exports (both)."""
from django.urls import path

from . import views

app_name = "subsidies"
urlpatterns = [
    path("applications/", views.applications, name="applications"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/invoices/", views.application_invoices, name="application_invoices"),
    path("applications/<int:pk>/invoices/fill/", views.application_fill, name="application_fill"),
    path("applications/<int:pk>/drop-reversed/", views.application_drop, name="application_drop"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/export.xlsx", views.application_xlsx, name="application_xlsx"),
    path("applications/<int:pk>/export.pdf", views.application_pdf, name="application_pdf"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
    path("review/<int:pk>/approve/", views.review_approve, name="review_approve"),
    path("review/<int:pk>/return/", views.review_return, name="review_return"),
    path("review/<int:pk>/pay/", views.review_pay, name="review_pay"),
    path("review/<int:pk>/reconcile/", views.review_reconcile, name="review_reconcile"),
    path("budgets/", views.budgets, name="budgets"),
    path("ledger/", views.ledger, name="ledger"),
]
