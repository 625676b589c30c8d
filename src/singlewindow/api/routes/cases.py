"""可能损失通知 and 索赔: the insurer reads its branch's and decides (受理, 受理索赔, 要求补充材料, 核赔, 拒赔, 登记赔付);
an enterprise's software reads its own. Every decision is the claims desk's service call (claims/services.py)."""
from django.db.models import Prefetch
from ninja import Path, Query, Router

from singlewindow.accounts.models import Role
from singlewindow.claims import services
from singlewindow.claims.models import Claim, InfoRequest, LossNotice

from .. import pagination
from ..schemas import (
    ClaimApproveIn,
    ClaimOut,
    ClaimPage,
    ClaimPayIn,
    ClaimStatusValue,
    InfoRequestIn,
    NoticeOut,
    NoticePage,
    NoticeStatusValue,
    ReasonIn,
)
from .common import ANY, MAX_ID, acting, enterprise_ref, ip, money

router = Router(tags=["报损与索赔"])
READERS = (Role.INSURER, Role.ENTERPRISE)


def _notices(actor):
    return LossNotice.objects.visible_to(actor).select_related("policy__enterprise__region", "buyer__country")


def notice_out(notice):
    return {
        "id": notice.pk, "number": notice.number, "status": notice.status, "status_label": notice.get_status_display(),
        "policy_id": notice.policy_id, "policy_number": notice.policy.number,
        "enterprise": enterprise_ref(notice.policy.enterprise), "buyer": str(notice.buyer),
        "buyer_country": notice.buyer.country_id, "contract_no": notice.contract_no, "invoice_no": notice.invoice_no,
        "declaration_no": notice.declaration_no, "shipment_date": notice.shipment_date, "due_date": notice.due_date,
        "currency": notice.currency, "invoice_amount": money(notice.invoice_amount),
        "overdue_amount": money(notice.overdue_amount), "payment_terms": notice.payment_terms,
        "credit_days": notice.credit_days, "cause": notice.cause, "late": notice.late, "deadline": notice.deadline,
        "submitted_at": notice.submitted_at, "status_changed_at": notice.status_changed_at,
        "target_date": notice.target_date,
    }


def _claims(actor):
    return (Claim.objects.visible_to(actor).select_related("policy__enterprise__region", "notice", "assignee")
            .prefetch_related(Prefetch("requests", queryset=InfoRequest.objects.filter(answered_at=None),
                                       to_attr="open_requests")))


def claim_out(claim):
    return {
        "id": claim.pk, "number": claim.number, "status": claim.status, "status_label": claim.get_status_display(),
        "notice_id": claim.notice_id, "policy_id": claim.policy_id, "policy_number": claim.policy.number,
        "enterprise": enterprise_ref(claim.policy.enterprise), "currency": claim.notice.currency,
        "claimed_amount": money(claim.claimed_amount), "assignee": str(claim.assignee) if claim.assignee else None,
        "submitted_at": claim.submitted_at, "status_changed_at": claim.status_changed_at,
        "target_date": claim.target_date, "usd_rate": None if claim.usd_rate is None else str(claim.usd_rate),
        "rate_date": claim.rate_date, "loss_usd": money(claim.loss_usd), "indemnity_usd": money(claim.indemnity_usd),
        "working": [list(line) for line in claim.working_lines], "decision_reason": claim.decision_reason,
        "paid_on": claim.paid_on,
        "paid_amount_usd": money(claim.paid_amount_usd), "paid_reference": claim.paid_reference,
        "open_requests": [request.item for request in claim.open_requests],
    }


# --- notices -----------------------------------------------------------------------------------------------

@router.get("/loss-notices", response=NoticePage, summary="可能损失通知列表")
def list_notices(request, status: NoticeStatusValue | None = ANY,
                 policy_id: int | None = Query(None, ge=1, le=MAX_ID),
                 limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
                 after: str | None = Query(None, max_length=200)):
    rows = _notices(acting(request, *READERS))
    if status:
        rows = rows.filter(status=status.value)
    if policy_id:
        rows = rows.filter(policy_id=policy_id)
    return pagination.page("loss-notices", rows, limit=limit, after=after, serialize=notice_out)


@router.get("/loss-notices/{notice_id}", response=NoticeOut, summary="可能损失通知")
def get_notice(request, notice_id: int = Path(..., ge=1, le=MAX_ID)):
    return notice_out(_notices(acting(request, *READERS)).get(pk=notice_id))


@router.post("/loss-notices/{notice_id}/acknowledge", response=NoticeOut, summary="受理可能损失通知")
def acknowledge_notice(request, notice_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, Role.INSURER)
    services.acknowledge_notice(actor, notice_id, ip=ip(request))
    return notice_out(_notices(actor).get(pk=notice_id))


# --- claims ------------------------------------------------------------------------------------------------

@router.get("/claims", response=ClaimPage, summary="索赔列表")
def list_claims(request, status: ClaimStatusValue | None = ANY,
                policy_id: int | None = Query(None, ge=1, le=MAX_ID),
                limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
                after: str | None = Query(None, max_length=200)):
    rows = _claims(acting(request, *READERS))
    if status:
        rows = rows.filter(status=status.value)
    if policy_id:
        rows = rows.filter(policy_id=policy_id)
    return pagination.page("claims", rows, limit=limit, after=after, serialize=claim_out)


@router.get("/claims/{claim_id}", response=ClaimOut, summary="索赔", description="含核赔的计算过程（working）。")
def get_claim(request, claim_id: int = Path(..., ge=1, le=MAX_ID)):
    return claim_out(_claims(acting(request, *READERS)).get(pk=claim_id))


def _decided(request, claim_id, decide):
    actor = acting(request, Role.INSURER)
    decide(actor)
    return claim_out(_claims(actor).get(pk=claim_id))


@router.post("/claims/{claim_id}/take", response=ClaimOut, summary="受理索赔", description="转入审核中；本令牌为经办人（如未指定）。")
def take_claim(request, claim_id: int = Path(..., ge=1, le=MAX_ID)):
    return _decided(request, claim_id, lambda actor: services.take_claim(actor, claim_id, ip=ip(request)))


@router.post("/claims/{claim_id}/request-info", response=ClaimOut, summary="要求补充材料")
def request_info(request, data: InfoRequestIn, claim_id: int = Path(..., ge=1, le=MAX_ID)):
    return _decided(request, claim_id, lambda actor: services.request_info(actor, claim_id, data.items,
                                                                           ip=ip(request)))


@router.post("/claims/{claim_id}/approve", response=ClaimOut, summary="核赔",
             description="赔款 = min(损失美元金额 × 赔偿比例, 本保单年度剩余赔偿限额)，计算过程随结果返回。")
def approve_claim(request, data: ClaimApproveIn, claim_id: int = Path(..., ge=1, le=MAX_ID)):
    return _decided(request, claim_id, lambda actor: services.approve(
        actor, claim_id, usd_rate=data.usd_rate, rate_date=data.rate_date, ip=ip(request)))


@router.post("/claims/{claim_id}/reject", response=ClaimOut, summary="拒赔", description="须写明原因。")
def reject_claim(request, data: ReasonIn, claim_id: int = Path(..., ge=1, le=MAX_ID)):
    return _decided(request, claim_id, lambda actor: services.reject(actor, claim_id, reason=data.reason,
                                                                     ip=ip(request)))


@router.post("/claims/{claim_id}/pay", response=ClaimOut, summary="登记赔付", description="赔付金额应等于核定赔款。")
def pay_claim(request, data: ClaimPayIn, claim_id: int = Path(..., ge=1, le=MAX_ID)):
    return _decided(request, claim_id, lambda actor: services.mark_paid(
        actor, claim_id, paid_on=data.paid_on, amount_usd=data.amount_usd, reference=data.reference, ip=ip(request)))
