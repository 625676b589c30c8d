"""我的报损与索赔 (the enterprise: views.py), 理赔审核 (the insurer: desk_views.py), the bureau's figures."""
from django.urls import path

from . import desk_views, views

app_name = "claims"
urlpatterns = [
    # the enterprise
    path("", views.overview, name="overview"),  # 我的报损与索赔
    path("buyers/", views.buyers, name="buyers"),
    path("buyers/new/", views.buyer_new, name="buyer_new"),
    path("buyers/<int:pk>/edit/", views.buyer_edit, name="buyer_edit"),
    path("notices/new/", views.notice_new, name="notice_new"),  # ?policy=<pk>
    path("notices/deadline/", views.notice_deadline, name="notice_deadline"),  # htmx: the deadline as typed
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("notices/<int:pk>/answer/", views.notice_answer, name="notice_answer"),
    path("notices/<int:pk>/settlement/", views.settlement_propose, name="settlement_propose"),
    path("notices/<int:pk>/claim/", views.claim_new, name="claim_new"),
    path("<int:pk>/", views.claim_detail, name="claim_detail"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/resubmit/", views.claim_resubmit, name="claim_resubmit"),
    path("<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    # both parties to a claim: its files
    path("documents/<int:pk>/", views.document_download, name="document"),
    # the insurer
    path("desk/", desk_views.queue, name="desk"),
    path("desk/notices/<int:pk>/", desk_views.notice, name="desk_notice"),
    path("desk/notices/<int:pk>/acknowledge/", desk_views.notice_acknowledge, name="desk_notice_acknowledge"),
    path("desk/notices/<int:pk>/message/", desk_views.notice_message, name="desk_notice_message"),
    path("desk/settlements/<int:pk>/decide/", desk_views.settlement_decide, name="desk_settlement_decide"),
    path("desk/<int:pk>/", desk_views.claim, name="desk_claim"),
    path("desk/<int:pk>/take/", desk_views.claim_take, name="desk_claim_take"),
    path("desk/<int:pk>/assign/", desk_views.claim_assign, name="desk_claim_assign"),
    path("desk/<int:pk>/request/", desk_views.claim_request_info, name="desk_claim_request"),
    path("desk/<int:pk>/approve/", desk_views.claim_approve, name="desk_claim_approve"),
    path("desk/<int:pk>/reject/", desk_views.claim_reject, name="desk_claim_reject"),
    path("desk/<int:pk>/pay/", desk_views.claim_pay, name="desk_claim_pay"),
    path("desk/<int:pk>/recovery/", desk_views.claim_recovery, name="desk_claim_recovery"),
    path("desk/buyers/", desk_views.buyers, name="desk_buyers"),  # the branch's insureds' buyers, merge
    # the bureau (and the single-window administrator): counts and amounts, never documents
    path("figures/", desk_views.figures, name="figures"),
]
