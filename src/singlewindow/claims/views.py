"""我的报损与索赔, the enterprise's pages: its buyers, 可能损失通知 and 索赔. Every row is fetched through
`visible_to(request.user)`, so anything not the enterprise's own is a 404; every change is a service call."""
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.forms import record_id
from singlewindow.http import client_ip
from singlewindow.policies.models import Policy
from singlewindow.refusals import attempt

from . import history, indemnity, services, uploads
from .forms import BuyerForm, ClaimForm, DocumentForm, MessageForm, NoticeForm, SettlementForm, WithdrawForm
from .models import Buyer, Claim, ClaimDocument, LossNotice, SettlementConsent
from .transitions import CLAIM, NOTICE, NOTICE_OPEN, UNDECIDED

enterprise_only = role_required(Role.ENTERPRISE)


def days_left(day):
    """Days from today (Asia/Shanghai) to `day`, which is included: 0 on the day itself, < 0 after it."""
    return (day - timezone.localdate()).days if day else None


@dataclass(frozen=True)
class Row:
    """A notice or a claim as the overview lists it: what happens next, by when, and the deadline that binds."""

    case: object
    next_text: str
    by: date | None
    deadline: date | None
    deadline_label: str

    @property
    def days(self):
        return days_left(self.deadline)


def _notice_row(notice):
    text, by = services.next_step(notice)
    open_for_claim = notice.status in NOTICE["claim"].sources
    return Row(notice, text, by, services.claim_deadline(notice) if open_for_claim else None, _("索赔截止日"))


def _claim_row(claim):
    text, by = services.next_step(claim)
    waiting_for_us = claim.status == Claim.Status.INFO_REQUESTED
    return Row(claim, text, by, claim.target_date if waiting_for_us else None, _("补充材料截止日"))


# --- 我的报损与索赔 -------------------------------------------------------------------------------------

@enterprise_only
@require_GET
def overview(request):
    policies = (Policy.objects.visible_to(request.user).filter(status__in=services.COVERING)
                .select_related("scheme").order_by("-cover_start", "-id"))
    notices = LossNotice.objects.visible_to(request.user).select_related("policy__scheme", "buyer__country")
    claims = Claim.objects.visible_to(request.user).select_related("notice__buyer", "policy__scheme")
    return render(request, "claims/overview.html", {
        "policies": [(policy, services.remaining_usd(policy)) for policy in policies],
        "notices": [_notice_row(notice) for notice in notices],
        "claims": [_claim_row(claim) for claim in claims],
    })


# --- 我的买方 ---------------------------------------------------------------------------------------------

@enterprise_only
@require_GET
def buyers(request):
    rows = Buyer.objects.visible_to(request.user).select_related("country")
    return render(request, "claims/buyers.html", {"buyers": rows, "next": _next_path(request)})


def _next_path(request):
    """Where to go back after adding a buyer: the notice form it was opened from (a path of ours), else the list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith(reverse("claims:notice_new")) else ""


def _buyer_form(request, buyer=None):
    initial = {field: getattr(buyer, field) for field in services.BUYER_FIELDS} if buyer else None
    form = BuyerForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        with attempt(request, form) as tried:
            if buyer is None:
                saved = services.add_buyer(request.user, form.cleaned_data, ip=client_ip(request))
                messages.success(request, _("已添加买方 %(name)s。") % {"name": saved})
            else:
                saved = services.edit_buyer(request.user, buyer.pk, form.cleaned_data, ip=client_ip(request))
                messages.success(request, _("已保存买方 %(name)s。") % {"name": saved})
            return redirect(_next_path(request) or "claims:buyers")
        if tried.refused:
            return redirect("claims:buyers")
    return render(request, "claims/buyer_form.html", {"form": form, "buyer": buyer, "next": _next_path(request)},
                  status=400 if form.is_bound else 200)


@enterprise_only
@require_http_methods(["GET", "POST"])
def buyer_new(request):
    return _buyer_form(request)


@enterprise_only
@require_http_methods(["GET", "POST"])
def buyer_edit(request, pk):
    return _buyer_form(request, get_object_or_404(Buyer.objects.visible_to(request.user), pk=pk))


# --- 可能损失通知 -----------------------------------------------------------------------------------------

def _covering_policy(request, pk):
    policy = (Policy.objects.visible_to(request.user).filter(status__in=services.COVERING)
              .select_related("scheme").filter(pk=record_id(pk)).first())
    if policy is None:
        raise Http404
    return policy


def deadline_context(policy, due_date):
    """The scheme's notice deadline for a payment due on `due_date` (None: not typed yet), and whether it passed."""
    if due_date is None:
        return {"policy": policy, "notice_days": policy.scheme.notice_days, "deadline": None}
    deadline = services.notice_deadline(policy, due_date)
    late = timezone.localdate() > deadline
    return {"policy": policy, "notice_days": policy.scheme.notice_days, "deadline": deadline, "late": late,
            "days": days_left(deadline), "consequence": services.late_consequence() if late else ""}


def _due_date(value):
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@enterprise_only
@require_http_methods(["GET", "POST"])
def notice_new(request):
    policy = _covering_policy(request, request.GET.get("policy"))
    if request.method == "POST":
        form = NoticeForm(request.POST, user=request.user)
    else:
        form = NoticeForm(user=request.user, initial={
            "contact_name": policy.contact_name or request.user.display_name,
            "contact_phone": policy.contact_phone or request.user.mobile, "buyer": request.GET.get("buyer")})
    form.fields["due_date"].widget.attrs.update({
        "hx-get": reverse("claims:notice_deadline"), "hx-trigger": "change", "hx-target": "#notice-deadline",
        "hx-include": "#id_policy", "hx-swap": "innerHTML", "aria-controls": "notice-deadline"})
    if form.is_valid():
        with attempt(request, form) as tried:
            notice = services.file_notice(request.user, policy.pk, form.cleaned_data, ip=client_ip(request))
            if notice.late:
                messages.warning(request, _("报损 %(n)s 已提交，逾期报损：%(consequence)s") % {
                    "n": notice.number, "consequence": services.late_consequence()})
            else:
                messages.success(request, _("报损 %(n)s 已提交，等待保险公司受理。") % {"n": notice.number})
            return redirect("claims:notice_detail", pk=notice.pk)
        if tried.refused:
            return redirect("claims:overview")
    due = _due_date(request.POST.get("due_date")) if form.is_bound else None
    return render(request, "claims/notice_new.html", {
        "form": form, "policy": policy, "has_buyers": form.fields["buyer"].queryset.exists(),
        "remaining_usd": services.remaining_usd(policy), **deadline_context(policy, due),
    }, status=400 if form.is_bound else 200)


@enterprise_only
@require_GET
def notice_deadline(request):
    """htmx: the deadline for the due date as typed, the block notice_new.html shows in #notice-deadline."""
    policy = _covering_policy(request, request.GET.get("policy"))
    return render(request, "claims/_notice_deadline.html",
                  deadline_context(policy, _due_date(request.GET.get("due_date"))))


def _own_notice(request, pk):
    return get_object_or_404(
        LossNotice.objects.visible_to(request.user).select_related("policy__scheme", "buyer__country",
                                                                   "submitted_by"), pk=pk)


def _notice_page(request, notice, *, answer_form=None, settlement_form=None, status=200):
    claim = Claim.objects.filter(notice=notice).first()
    settlements = list(notice.settlements.select_related("decided_by"))
    can_propose = (notice.status in NOTICE_OPEN or (claim is not None and claim.status in UNDECIDED)) and not any(
        s.decision == SettlementConsent.Decision.PENDING for s in settlements)
    claim_deadline = services.claim_deadline(notice)
    next_text, next_by = services.next_step(notice)
    return render(request, "claims/notice_detail.html", {
        "notice": notice, "policy": notice.policy, "claim": claim,
        "thread": notice.messages.select_related("author"), "settlements": settlements,
        "can_message": notice.status in NOTICE_OPEN, "can_propose": can_propose,
        "answer_form": answer_form or MessageForm(), "settlement_form": settlement_form or SettlementForm(),
        "can_withdraw": NOTICE.allowed("withdraw", notice.status),
        "can_claim": NOTICE.allowed("claim", notice.status), "claim_deadline": claim_deadline,
        "claim_days": days_left(claim_deadline), "next_text": next_text, "next_by": next_by,
        "consequence": services.late_consequence() if notice.late else "", "timeline": history.timeline(notice),
    }, status=status)


@enterprise_only
@require_GET
def notice_detail(request, pk):
    return _notice_page(request, _own_notice(request, pk))


def _withdraw(request, case, withdraw, back, *, done, title, summary):
    """撤回 a notice or a claim: refused at once when its table no longer allows it, else the reason, then `withdraw`."""
    if not services.machine_of(case).allowed("withdraw", case.status):
        messages.warning(request, str(services.refusal(case, "withdraw")))
        return redirect(back)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        with attempt(request, form) as tried:
            withdraw(request.user, case.pk, reason=form.cleaned_data["reason"], ip=client_ip(request))
            messages.success(request, done)
            return redirect(back)
        if tried.refused:
            return redirect(back)
    return _withdraw_page(request, case, form, title=title, summary=summary, back_url=back)


def _withdraw_page(request, case, form, *, title, summary, back_url):
    """撤回 is a second step on a page of its own (it cannot be undone): what it means, the reason, then the button."""
    return render(request, "claims/withdraw.html", {
        "case": case, "form": form, "title": title, "summary": summary, "back_url": back_url,
        "action": request.path}, status=400 if form.is_bound else 200)


@enterprise_only
@require_http_methods(["GET", "POST"])
def notice_withdraw(request, pk):
    notice = _own_notice(request, pk)
    return _withdraw(request, notice, services.withdraw_notice, reverse("claims:notice_detail", args=[notice.pk]),
                     done=_("报损 %(n)s 已撤回。") % {"n": notice.number}, title=_("撤回报损"), summary=_(
                         "撤回后本报损通知不能恢复，也不能再据此提出索赔；如买方仍未付款，需重新报损并可能因此逾期。"))


@enterprise_only
@require_POST
def notice_answer(request, pk):
    notice = _own_notice(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        with attempt(request, form) as tried:
            services.post_message(request.user, notice.pk, "answer", form.cleaned_data["body"], ip=client_ip(request))
            messages.success(request, _("答复已发送给保险公司。"))
            return redirect(f"{reverse('claims:notice_detail', args=[notice.pk])}#thread")
        if tried.refused:
            return redirect("claims:notice_detail", pk=notice.pk)
    return _notice_page(request, notice, answer_form=form, status=400)


@enterprise_only
@require_POST
def settlement_propose(request, pk):
    notice = _own_notice(request, pk)
    form = SettlementForm(request.POST)
    if form.is_valid():
        with attempt(request, form) as tried:
            services.propose_settlement(request.user, notice.pk, form.cleaned_data["plan"], ip=client_ip(request))
            messages.success(request, _("和解方案已提交，等待保险公司书面决定。"))
            return redirect(f"{reverse('claims:notice_detail', args=[notice.pk])}#settlements")
        if tried.refused:
            return redirect("claims:notice_detail", pk=notice.pk)
    return _notice_page(request, notice, settlement_form=form, status=400)


# --- 索赔 -----------------------------------------------------------------------------------------------

@enterprise_only
@require_http_methods(["GET", "POST"])
def claim_new(request, pk):
    notice = _own_notice(request, pk)
    existing = Claim.objects.filter(notice=notice).first()
    if existing is not None:
        return redirect("claims:claim_detail", pk=existing.pk)
    if not NOTICE.allowed("claim", notice.status):
        messages.warning(request, str(services.refusal(notice, "claim")))
        return redirect("claims:notice_detail", pk=notice.pk)
    form = ClaimForm(request.POST if request.method == "POST" else None,
                     initial={"claimed_amount": f"{notice.overdue_amount:.2f}"})
    if form.is_valid():
        with attempt(request, form) as tried:
            claim = services.submit_claim(request.user, notice.pk, claimed_amount=form.cleaned_data["claimed_amount"],
                                          ip=client_ip(request))
            messages.success(request, _("索赔 %(n)s 已提交。请按清单上传索赔材料。") % {"n": claim.number})
            return redirect("claims:claim_detail", pk=claim.pk)
        if tried.refused:
            return redirect("claims:notice_detail", pk=notice.pk)
    deadline = services.claim_deadline(notice)
    return render(request, "claims/claim_new.html", {
        "notice": notice, "policy": notice.policy, "form": form, "deadline": deadline, "days": days_left(deadline),
        "remaining_usd": services.remaining_usd(notice.policy), "ratio": notice.policy.scheme.indemnity_ratio,
    }, status=400 if form.is_bound else 200)


def _own_claim(request, pk):
    return get_object_or_404(
        Claim.objects.visible_to(request.user).select_related("notice__buyer__country", "policy__scheme"), pk=pk)


def _claim_page(request, claim, *, failed=None, resubmit_errors=(), replies=None, status=200):
    """`failed`: (row key, DocumentForm) of an upload that was refused, shown in its row."""
    rows = services.checklist(claim)
    next_text, next_by = services.next_step(claim)
    documents = list(claim.documents.select_related("uploaded_by", "request"))
    open_requests = [row for row in rows if row.request is not None and row.request.answered_at is None]
    if claim.status != Claim.Status.INFO_REQUESTED:
        open_requests = []
    shown = {row.key for row in open_requests} | ({row.key for row in rows if row.request is None}
                                                  if claim.status in UNDECIDED else set())
    if failed and failed[0] not in shown:  # a form no row of the page holds (a stale or made-up post)
        messages.warning(request, " ".join(e for errors in failed[1].errors.values() for e in errors))
    return render(request, "claims/claim_detail.html", {
        "claim": claim, "notice": claim.notice, "policy": claim.policy, "rows": rows,
        "standard_rows": [row for row in rows if row.request is None],
        "open_requests": open_requests,
        "answered_requests": [row for row in rows if row.request is not None and row.request.answered_at],
        "documents": documents, "can_upload": claim.status in UNDECIDED,
        "can_withdraw": CLAIM.allowed("withdraw", claim.status),
        "failed_key": failed[0] if failed else None, "failed_form": failed[1] if failed else None,
        "resubmit_errors": resubmit_errors, "replies": replies or {},
        "next_text": next_text, "next_by": next_by, "next_days": days_left(next_by),
        "indemnified": claim.status in (Claim.Status.APPROVED, Claim.Status.PAID),
        "rounding_note": indemnity.ROUNDING_NOTE, "recoveries": list(claim.recoveries.all()),
        "max_mb": settings.SW_DOCUMENT_MAX_MB, "timeline": history.timeline(claim),
    }, status=status)


@enterprise_only
@require_GET
def claim_detail(request, pk):
    return _claim_page(request, _own_claim(request, pk))


@enterprise_only
@require_POST
def document_upload(request, pk):
    claim = _own_claim(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        with attempt(request, form) as tried:
            document = services.add_document(request.user, claim.pk, data["kind"], data["file"],
                                             request_id=data["request"] or None, ip=client_ip(request))
            messages.success(request, _("已收到 %(name)s（%(size)s 字节），SHA-256：%(sha)s。") % {
                "name": document.original_name, "size": f"{document.size:,}", "sha": document.sha256})
            return redirect(f"{reverse('claims:claim_detail', args=[claim.pk])}#documents")
        if tried.refused:
            return redirect("claims:claim_detail", pk=claim.pk)
    key = services.row_key(request.POST.get("kind"), request.POST.get("request"))
    return _claim_page(request, claim, failed=(key, form), status=400)


@enterprise_only
@require_POST
def claim_resubmit(request, pk):
    claim = _own_claim(request, pk)
    replies = {request_row.pk: request.POST.get(f"reply_{request_row.pk}", "")
               for request_row in claim.requests.filter(answered_at=None)}
    invalid = None
    with attempt(request) as tried:  # a Refused becomes a message; what is still missing is shown in place
        try:
            services.resubmit(request.user, claim.pk, replies, ip=client_ip(request))
        except ValidationError as error:
            invalid = error
        else:
            messages.success(request, _("补充材料已提交，保险公司将继续审核。"))
            return redirect("claims:claim_detail", pk=claim.pk)
    if tried.refused:
        return redirect("claims:claim_detail", pk=claim.pk)
    return _claim_page(request, claim, resubmit_errors=invalid.messages, replies=replies, status=400)


@enterprise_only
@require_http_methods(["GET", "POST"])
def claim_withdraw(request, pk):
    claim = _own_claim(request, pk)
    return _withdraw(request, claim, services.withdraw_claim, reverse("claims:claim_detail", args=[claim.pk]),
                     done=_("索赔 %(n)s 已撤回。") % {"n": claim.number}, title=_("撤回索赔"), summary=_(
                         "撤回后本索赔终止，不能恢复；保险公司不再审核，也不会赔付。"))


# --- both parties to a claim: its files --------------------------------------------------------------

@role_required(Role.ENTERPRISE, Role.INSURER)
@require_GET
def document_download(request, pk):
    """A claim's file for its enterprise and its insurer branch, saved rather than shown, never sniffed."""
    document = get_object_or_404(ClaimDocument.objects.visible_to(request.user), pk=pk)
    try:
        handle = uploads.open_stored(document.stored_name)
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
