"""报损与索赔: every action on a possible-loss notice or a claim is one function here, one transaction each:
lock the row, re-check the rule, change state (the tables of claims/transitions.py), audit, tell the enterprise.

Dates are Asia/Shanghai days (timezone.localdate), every deadline inclusive of its last day.
"""
import datetime
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from singlewindow.accounts.models import Role
from singlewindow.accounts.roles import require_role
from singlewindow.audit.services import record
from singlewindow.forms import record_id
from singlewindow.machines import Refused
from singlewindow.notifications import services as notifications
from singlewindow.notifications.models import Notice
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.services import check_reason
from singlewindow.validators import ascii_digits, clean_contacts, clean_text

from . import indemnity, iso, uploads
from .models import (
    CREDIT_DAYS_MAX,
    DECLARATION_LENGTH,
    Buyer,
    Cause,
    Claim,
    ClaimDocument,
    DocumentKind,
    InfoRequest,
    LossNotice,
    NoticeMessage,
    PaymentTerms,
    Recovery,
    SettlementConsent,
)
from .transitions import CLAIM, INDEMNIFIED, NOTICE, NOTICE_OPEN, UNDECIDED

log = logging.getLogger(__name__)

# A policy covers shipments of its cover period while it is in force and after it ran out (a buyer's default
# shows months later); never one that was not approved.
COVERING = frozenset({PolicyStatus.EFFECTIVE, PolicyStatus.EXPIRED})
TEXT_MAX_LENGTH = 2000
AMOUNT_MAX = Decimal("9999999999999.99")  # 15 digits, as the columns hold


# --- small rules, each written once ----------------------------------------------------------------------

def _amount(value, field, *, positive=True):
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("请填写金额，最多两位小数。")}) from None
    # the size first: quantize() of 1e400 raises instead of answering
    if not amount.is_finite() or abs(amount) > AMOUNT_MAX or amount != amount.quantize(indemnity.CENT):
        raise ValidationError({field: _("请填写金额，最多两位小数。")})
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field: _("金额应大于零。")})
    return amount


def _date(value, field):
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise ValidationError({field: _("请填写日期。")})
    return value


def target(key, today):
    """By when the next step should happen (SW_CLAIM_TARGET_DAYS[key] days from `today`), or None."""
    days = settings.SW_CLAIM_TARGET_DAYS.get(key)
    return today + datetime.timedelta(days=days) if days is not None else None


def notice_deadline(policy, due_date):
    """The last day (inclusive) a notice of a payment due on `due_date` is on time."""
    return due_date + datetime.timedelta(days=policy.scheme.notice_days)


def claim_deadline(notice):
    """The last day (inclusive) a claim from `notice` may be made: the scheme's days from its filing."""
    return timezone.localdate(notice.submitted_at) + datetime.timedelta(days=notice.policy.scheme.claim_days)


def late_consequence():
    return _("本通知晚于方案规定的报损期限提交。保险公司仍予受理，但可能因此降低赔偿比例或拒绝赔偿逾期后扩大的损失。")


def _number(prefix, pk, now):
    return f"{prefix}{timezone.localdate(now):%Y%m%d}{pk:06d}"


def _tell(case, title, link, now):
    """The in-app notice of a step, for the enterprise of the case's policy."""
    notifications.tell(case.policy.enterprise_id, Notice.Kind.CLAIM, title=title, link=link, at=now,
                       policy=case.policy)


def _message_contact(case, body, purpose):
    with translation.override(settings.LANGUAGE_CODE):
        text = body()
    notifications.message(phone=case.notice.contact_phone if isinstance(case, Claim) else case.contact_phone,
                          body=text, subject=_("出口信用保险报损理赔"), purpose=purpose)


def subject(case):
    """How a refusal names a notice or a claim: "报损 BS… " / "索赔 SP… "."""
    label = _("报损 %(n)s ") if isinstance(case, LossNotice) else _("索赔 %(n)s ")
    return label % {"n": case.number}


def machine_of(case):
    return NOTICE if isinstance(case, LossNotice) else CLAIM


def refusal(case, action):
    """The machine's refusal of `action` on a notice or a claim as it stands (a stale page, a second click)."""
    return machine_of(case).refusal(action, case.status, subject(case))


def _locked(model, scope, pk):
    pk = record_id(pk)
    row = scope.select_for_update(of=("self",)).select_related("policy__scheme").filter(pk=pk).first() if pk else None
    if row is None:
        raise model.DoesNotExist
    return row


# --- buyers ---------------------------------------------------------------------------------------------

BUYER_FIELDS = ("name_latin", "name_zh", "country", "address", "registration_no")


def _clean_buyer(data):
    errors, clean = {}, {}
    for field, limit in (("name_latin", 200), ("name_zh", 100), ("address", 300), ("registration_no", 50)):
        try:
            clean[field] = clean_text(data.get(field), field=field, required=False, max_length=limit)
        except ValidationError as error:
            errors.update(error.message_dict)
    if not errors and not (clean["name_latin"] or clean["name_zh"]):
        errors["name_latin"] = [_("请填写买方名称（外文或中文至少一项）。")]
    country = data.get("country")
    from .models import Country

    code = getattr(country, "pk", country)
    clean["country"] = Country.objects.filter(pk=code).first() if isinstance(code, str) and code else None
    if clean["country"] is None:
        errors["country"] = [_("请选择买方所在国家（地区）。")]
    if errors:
        raise ValidationError(errors)
    return clean


def add_buyer(actor, data, *, ip=None):
    require_role(actor, Role.ENTERPRISE)
    clean = _clean_buyer(data)
    with transaction.atomic():
        buyer = Buyer.objects.create(enterprise_id=actor.enterprise_id, **clean)
        record(actor=actor, action="buyer.add", obj=buyer, ip=ip, data={"country": buyer.country_id})
    return buyer


def edit_buyer(actor, buyer_id, data, *, ip=None):
    require_role(actor, Role.ENTERPRISE)
    clean = _clean_buyer(data)
    with transaction.atomic():
        buyer = Buyer.objects.visible_to(actor).select_for_update().filter(pk=record_id(buyer_id)).first()
        if buyer is None:
            raise Buyer.DoesNotExist
        Buyer.objects.filter(pk=buyer.pk).update(**clean)
        record(actor=actor, action="buyer.edit", obj=buyer, ip=ip, data={"country": clean["country"].pk})
    buyer.refresh_from_db()
    return buyer


def merge_buyers(actor, keep_id, duplicate_ids, *, ip=None):
    """The insurer says `duplicate_ids` are the buyer `keep_id`: each points at it from now on (and what was
    merged into a duplicate follows). Rows stay, so every notice still names the buyer its enterprise chose."""
    require_role(actor, Role.INSURER)
    scope = Buyer.objects.visible_to(actor)
    with transaction.atomic():
        keep = scope.select_for_update().filter(pk=record_id(keep_id), merged_into=None).first()
        if keep is None:
            raise ValidationError({"keep": _("请选择要保留的买方。")})
        ids = {record_id(pk) for pk in duplicate_ids} - {None, keep.pk}
        duplicates = list(scope.select_for_update().filter(pk__in=ids))
        if not duplicates or len(duplicates) != len(ids):
            raise ValidationError({"duplicates": _("请选择与之重复的买方。")})
        pks = [buyer.pk for buyer in duplicates]
        Buyer.objects.filter(merged_into__in=pks).update(merged_into=keep)
        Buyer.objects.filter(pk__in=pks).update(merged_into=keep)
        record(actor=actor, action="buyer.merge", obj=keep, ip=ip, data={"merged": pks})
    return keep


# --- possible-loss notices ------------------------------------------------------------------------------

NOTICE_FIELDS = (
    "buyer", "contract_no", "invoice_no", "declaration_no", "shipment_date", "currency", "invoice_amount",
    "payment_terms", "credit_days", "due_date", "overdue_amount", "cause", "collection_steps", "contact_name",
    "contact_phone",
)


def _clean_notice(actor, policy, data, today):
    """The notice's fields as the rules allow them, or a ValidationError naming every field that is wrong."""
    errors, clean = {}, {}

    def check(field, rule):
        try:
            clean[field] = rule()
        except ValidationError as error:
            errors.update(error.message_dict if hasattr(error, "error_dict") else {field: error.messages})

    buyer_id = getattr(data.get("buyer"), "pk", data.get("buyer"))
    clean["buyer"] = Buyer.objects.visible_to(actor).filter(pk=record_id(buyer_id)).first()
    if clean["buyer"] is None:
        errors["buyer"] = [_("请选择买方（可先在“我的买方”中添加）。")]
    for field in ("contract_no", "invoice_no"):
        check(field, lambda field=field: clean_text(data.get(field), field=field, max_length=50))
    declaration = ascii_digits(str(data.get("declaration_no") or "")).strip()
    if not (len(declaration) == DECLARATION_LENGTH and declaration.isascii() and declaration.isdigit()):
        errors["declaration_no"] = [_("报关单号应为18位数字。")]
    clean["declaration_no"] = declaration
    check("shipment_date", lambda: _date(data.get("shipment_date"), "shipment_date"))
    check("due_date", lambda: _date(data.get("due_date"), "due_date"))
    currency = str(data.get("currency") or "").strip().upper()
    if currency not in iso.currencies():
        errors["currency"] = [_("请选择发票币种（ISO 4217）。")]
    clean["currency"] = currency
    check("invoice_amount", lambda: _amount(data.get("invoice_amount"), "invoice_amount"))
    check("overdue_amount", lambda: _amount(data.get("overdue_amount"), "overdue_amount"))
    if data.get("payment_terms") not in PaymentTerms.values:
        errors["payment_terms"] = [_("请选择支付方式。")]
    clean["payment_terms"] = data.get("payment_terms")
    credit = data.get("credit_days")
    if not isinstance(credit, int) or isinstance(credit, bool) or not 0 <= credit <= CREDIT_DAYS_MAX:
        errors["credit_days"] = [_("信用期限应为0至%(n)d天。") % {"n": CREDIT_DAYS_MAX}]
    clean["credit_days"] = credit
    if data.get("cause") not in Cause.values:
        errors["cause"] = [_("请选择损失原因。")]
    clean["cause"] = data.get("cause")
    check("collection_steps", lambda: clean_text(data.get("collection_steps"), field="collection_steps",
                                                max_length=TEXT_MAX_LENGTH))
    clean["contact_name"], clean["contact_phone"] = clean_contacts(
        errors, data.get("contact_name"), data.get("contact_phone"))

    shipped, due = clean.get("shipment_date"), clean.get("due_date")
    if shipped and "shipment_date" not in errors:
        if not (policy.cover_start and policy.cover_start <= shipped <= policy.cover_end):
            errors["shipment_date"] = [_("出运日期应在保险责任期间内（%(start)s 至 %(end)s）。") % {
                "start": policy.cover_start, "end": policy.cover_end}]
        elif shipped > today:
            errors["shipment_date"] = [_("出运日期不能晚于今天。")]
    if shipped and due and "due_date" not in errors and due < shipped:
        errors["due_date"] = [_("应付款日不能早于出运日期。")]
    if due and clean.get("cause") == Cause.DEFAULT and due >= today and "due_date" not in errors:
        errors["due_date"] = [_("买方拖欠须在应付款日之后报损；应付款日未到，请选择其他原因或到期后再报。")]
    invoice, overdue = clean.get("invoice_amount"), clean.get("overdue_amount")
    if invoice and overdue and "overdue_amount" not in errors and overdue > invoice:
        errors["overdue_amount"] = [_("逾期金额不能超过发票金额。")]
    if errors:
        raise ValidationError(errors)
    return clean


def file_notice(actor, policy_id, data, *, ip=None, now=None):
    """可能损失通知 on the enterprise's own policy. A late one is accepted and flagged (late_consequence)."""
    require_role(actor, Role.ENTERPRISE)
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        policy = (Policy.objects.visible_to(actor).select_for_update(of=("self",)).select_related("scheme")
                  .filter(pk=record_id(policy_id)).first())
        if policy is None:
            raise Policy.DoesNotExist
        if policy.status not in COVERING:
            raise Refused("state", _("保单 %(number)s 未生效，不能报损。") % {"number": policy.number})
        clean = _clean_notice(actor, policy, data, today)
        duplicate = (LossNotice.objects.filter(policy=policy, invoice_no=clean["invoice_no"])
                     .exclude(status=LossNotice.Status.WITHDRAWN).first())
        if duplicate is not None:
            raise ValidationError({"invoice_no": _("发票 %(invoice)s 已在报损 %(number)s 中报告。") % {
                "invoice": clean["invoice_no"], "number": duplicate.number}})
        deadline = notice_deadline(policy, clean["due_date"])
        notice = LossNotice.objects.create(
            number=f"tmp-{secrets.token_hex(8)}", policy=policy, **clean, late=today > deadline, deadline=deadline,
            submitted_by=actor, submitted_at=now, status_changed_at=now, target_date=target("notice.submitted", today),
        )
        notice.number = _number("BS", notice.pk, now)
        LossNotice.objects.filter(pk=notice.pk).update(number=notice.number)
        record(actor=actor, action="loss_notice.submit", obj=notice, to_status=notice.status, ip=ip, at=now,
               data={"late": notice.late, "policy": policy.number})
    log.info("loss notice %s filed on %s (late=%s)", notice.number, policy.number, notice.late)
    return notice


def _notice_move(actor, notice_id, action, *, ip=None, reason=None, now=None, changes=None):
    """The notice locked, its status checked first (as _claim_move), then the `reason` as typed (check_reason)."""
    transition = NOTICE[action]
    require_role(actor, transition.actor_role)
    now = now or timezone.now()
    with transaction.atomic():
        notice = _locked(LossNotice, LossNotice.objects.visible_to(actor), notice_id)
        NOTICE.check(action, notice.status, subject(notice))
        reason = "" if reason is None else check_reason(reason)
        before = notice.status
        NOTICE.move(LossNotice.objects, notice.pk, action, subject(notice),
                    status_changed_at=now, **(changes or {}))
        notice.refresh_from_db()
        record(actor=actor, action=f"loss_notice.{action}", obj=notice, from_status=before,
               to_status=notice.status, reason=reason, ip=ip, at=now)
        return notice, now


def acknowledge_notice(actor, notice_id, *, ip=None, now=None):
    notice, now = _notice_move(actor, notice_id, "acknowledge", ip=ip, now=now, changes={"target_date": None})
    _tell(notice, _("报损 %(n)s 已受理") % {"n": notice.number},
          reverse("claims:notice_detail", args=[notice.pk]), now)
    return notice


def withdraw_notice(actor, notice_id, *, reason, ip=None, now=None):
    notice, _now = _notice_move(actor, notice_id, "withdraw", ip=ip, reason=reason, now=now,
                                changes={"target_date": None})
    return notice


def post_message(actor, notice_id, kind, body, *, ip=None, now=None):
    """The insurer asks a question or advises on collection; the enterprise answers. Only while it is open."""
    K = NoticeMessage.Kind
    allowed = {Role.INSURER: {K.QUESTION, K.ADVICE}, Role.ENTERPRISE: {K.ANSWER}}
    if kind not in allowed.get(getattr(actor, "role", None), set()):
        raise PermissionDenied
    body = clean_text(body, field="body", max_length=TEXT_MAX_LENGTH)
    now = now or timezone.now()
    with transaction.atomic():
        notice = _locked(LossNotice, LossNotice.objects.visible_to(actor), notice_id)
        if notice.status not in NOTICE_OPEN:
            raise Refused("state", _("报损 %(n)s 当前状态为“%(status)s”，不能再留言。") % {
                "n": notice.number, "status": notice.get_status_display()})
        message = NoticeMessage.objects.create(notice=notice, kind=kind, body=body, author=actor, at=now)
        record(actor=actor, action=f"loss_notice.{kind}", obj=notice, ip=ip, at=now, data={"message": message.pk})
        if actor.role == Role.INSURER:
            _tell(notice, _("报损 %(n)s：%(kind)s") % {"n": notice.number, "kind": message.get_kind_display()},
                  reverse("claims:notice_detail", args=[notice.pk]), now)
    return message


def propose_settlement(actor, notice_id, plan, *, ip=None, now=None):
    """A settlement with the buyer needs the insurer's written consent: the enterprise asks for it here."""
    require_role(actor, Role.ENTERPRISE)
    plan = clean_text(plan, field="plan", max_length=TEXT_MAX_LENGTH)
    now = now or timezone.now()
    with transaction.atomic():
        notice = _locked(LossNotice, LossNotice.objects.visible_to(actor), notice_id)
        if notice.status not in NOTICE_OPEN and not _claim_undecided(notice):
            raise Refused("state", _("报损 %(n)s 当前不能提出和解方案。") % {"n": notice.number})
        if notice.settlements.filter(decision=SettlementConsent.Decision.PENDING).exists():
            raise Refused("pending", _("已有一个和解方案等待保险公司决定。"))
        settlement = SettlementConsent.objects.create(notice=notice, plan=plan, proposed_by=actor, proposed_at=now)
        record(actor=actor, action="settlement.propose", obj=settlement, ip=ip, at=now,
               to_status=settlement.decision, data={"notice": notice.number})
    return settlement


def _claim_undecided(notice):
    claim = Claim.objects.filter(notice=notice).first()
    return claim is not None and claim.status in UNDECIDED


def decide_settlement(actor, settlement_id, decision, text, *, ip=None, now=None):
    """The insurer's recorded decision (同意 / 不同意) with its written reasons; once only."""
    require_role(actor, Role.INSURER)
    D = SettlementConsent.Decision
    if decision not in (D.CONSENTED, D.REFUSED):
        raise ValidationError({"decision": _("请选择同意或不同意。")})
    text = clean_text(text, field="text", max_length=TEXT_MAX_LENGTH)
    now = now or timezone.now()
    with transaction.atomic():
        scope = SettlementConsent.objects.filter(notice__in=LossNotice.objects.visible_to(actor))
        settlement = scope.select_for_update(of=("self",)).select_related("notice__policy").filter(
            pk=record_id(settlement_id)).first()
        if settlement is None:
            raise SettlementConsent.DoesNotExist
        updated = SettlementConsent.objects.filter(pk=settlement.pk, decision=D.PENDING).update(
            decision=decision, decision_text=text, decided_by=actor, decided_at=now)
        if updated != 1:
            raise Refused("already", _("该和解方案已有决定，无需重复操作。"))
        settlement.refresh_from_db()
        record(actor=actor, action="settlement.decide", obj=settlement, from_status=D.PENDING, to_status=decision,
               reason=text, ip=ip, at=now)
        _tell(settlement.notice, _("和解方案：保险公司%(decision)s") % {"decision": settlement.get_decision_display()},
              reverse("claims:notice_detail", args=[settlement.notice_id]), now)
    return settlement


# --- claims ---------------------------------------------------------------------------------------------

def counted_usd(policy, *, excluding=None):
    """What the policy year has already been indemnified (approved or paid), less what recoveries restored."""
    claims = Claim.objects.filter(policy=policy, status__in=INDEMNIFIED)
    if excluding is not None:
        claims = claims.exclude(pk=excluding)
    paid = claims.aggregate(total=Sum("indemnity_usd"))["total"] or indemnity.ZERO
    restored = Recovery.objects.filter(claim__policy=policy).aggregate(total=Sum("restored_usd"))["total"]
    return paid - (restored or indemnity.ZERO)


def remaining_usd(policy):
    return max(policy.scheme.max_indemnity_usd - counted_usd(policy), indemnity.ZERO)


def submit_claim(actor, notice_id, *, claimed_amount, ip=None, now=None):
    """索赔 from a notice, within the scheme's deadline; at most the amount overdue."""
    require_role(actor, Role.ENTERPRISE)
    amount = _amount(claimed_amount, "claimed_amount")
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        notice = _locked(LossNotice, LossNotice.objects.visible_to(actor), notice_id)
        if amount > notice.overdue_amount:
            raise ValidationError({"claimed_amount": _("索赔金额不能超过报损的逾期金额（%(currency)s %(amount)s）。") % {
                "currency": notice.currency, "amount": f"{notice.overdue_amount:,.2f}"}})
        last_day = claim_deadline(notice)
        if today > last_day and notice.status in NOTICE["claim"].sources:
            raise Refused("late", _("索赔期限已过：报损 %(n)s 的索赔应在 %(date)s（含）前提出。") % {
                "n": notice.number, "date": last_day})
        NOTICE.move(LossNotice.objects, notice.pk, "claim", subject(notice),
                    status_changed_at=now, target_date=None)
        claim = Claim.objects.create(
            number=f"tmp-{secrets.token_hex(8)}", notice=notice, policy=notice.policy, claimed_amount=amount,
            submitted_by=actor, submitted_at=now, status_changed_at=now, target_date=target("claim.submitted", today),
        )
        claim.number = _number("SP", claim.pk, now)
        Claim.objects.filter(pk=claim.pk).update(number=claim.number)
        record(actor=actor, action="loss_notice.claim", obj=notice, from_status=notice.status,
               to_status=LossNotice.Status.CLAIMED, ip=ip, at=now, data={"claim": claim.number})
        record(actor=actor, action="claim.submit", obj=claim, to_status=claim.status, ip=ip, at=now,
               data={"amount": str(amount), "currency": notice.currency})
    return claim


def add_document(actor, claim_id, kind, upload, *, request_id=None, ip=None, now=None):
    """A file for the claim's checklist (or for one item the insurer asked for), while it is undecided."""
    require_role(actor, Role.ENTERPRISE)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("请选择材料类型。")})
    now = now or timezone.now()
    stored = uploads.store(upload)  # checked by content; written before the row, removed if the row is not
    try:
        with transaction.atomic():
            claim = _locked(Claim, Claim.objects.visible_to(actor), claim_id)
            if claim.status not in UNDECIDED:
                raise Refused("state", _("索赔 %(n)s 当前状态为“%(status)s”，不能再上传材料。") % {
                    "n": claim.number, "status": claim.get_status_display()})
            request = None
            if kind == DocumentKind.REQUESTED:
                request = claim.requests.filter(pk=record_id(request_id)).first()
                if request is None:
                    raise ValidationError({"request": _("请选择这份材料对应的补充要求。")})
                if request.kind == InfoRequest.Kind.EXPLANATION:
                    raise ValidationError({"request": _("“%(item)s”要求的是书面说明，请在说明栏中答复，无需上传文件。") % {
                        "item": request.item}})
            document = ClaimDocument.objects.create(
                claim=claim, kind=kind, request=request, original_name=stored.display_name,
                stored_name=stored.stored_name, content_type=stored.content_type, size=stored.size,
                sha256=stored.sha256, uploaded_by=actor, uploaded_at=now,
            )
            record(actor=actor, action="claim.document", obj=claim, ip=ip, at=now, data={
                "document": document.pk, "kind": kind, "sha256": stored.sha256, "size": stored.size})
    except BaseException:
        uploads.discard(stored.stored_name)
        raise
    return document


def row_key(kind, request_id):
    """A checklist row's name on a page (its upload form's ids; where a refused upload's errors are shown)."""
    return f"request-{request_id}" if kind == DocumentKind.REQUESTED else kind


@dataclass(frozen=True)
class ChecklistRow:
    """One line of a claim's checklist: a standard document, or an item the insurer asked for (`request`).

    `state` says what it has received, truthfully: SUBMITTED only when a file was uploaded for it; a document
    asked for that got a reply but no file is EXPLAINED (answered, not submitted); an explanation asked for
    is ANSWERED by its reply; MISSING when it has nothing."""

    SUBMITTED, MISSING, EXPLAINED, ANSWERED = "submitted", "missing", "explained", "answered"

    label: str
    kind: str  # the DocumentKind its upload posts
    documents: list
    state: str
    request: InfoRequest | None = None

    @property
    def missing(self):
        return self.state == self.MISSING

    @property
    def key(self):
        return row_key(self.kind, self.request.pk if self.request else None)


def _request_state(request, documents):
    if request.kind == InfoRequest.Kind.EXPLANATION:
        return ChecklistRow.ANSWERED if request.reply else ChecklistRow.MISSING
    if documents:
        return ChecklistRow.SUBMITTED
    return ChecklistRow.EXPLAINED if request.reply else ChecklistRow.MISSING


def checklist(claim):
    """The claim's documents against what it needs: each standard item, then each item the insurer asked for
    (ChecklistRow)."""
    from .models import CHECKLIST

    documents = list(claim.documents.select_related("uploaded_by"))
    rows = []
    for kind in CHECKLIST:
        docs = [d for d in documents if d.kind == kind]
        rows.append(ChecklistRow(kind.label, kind.value, docs, ChecklistRow.SUBMITTED if docs else ChecklistRow.MISSING))
    for request in claim.requests.all():
        docs = [d for d in documents if d.request_id == request.pk]
        rows.append(ChecklistRow(request.item, DocumentKind.REQUESTED.value, docs, _request_state(request, docs),
                                 request))
    return rows


def _claim_move(actor, claim_id, action, *, ip=None, reason=None, reason_field=None, now=None, changes=None,
                data=None, check=None):
    """The claim locked, its status checked against the table first (a stale page or a second click is told
    so whatever it typed), then the `reason` as typed (check_reason; kept in `reason_field` too when named),
    `check(claim)` and `changes(claim)` read the inputs; then the move."""
    transition = CLAIM[action]
    require_role(actor, transition.actor_role)
    now = now or timezone.now()
    with transaction.atomic():
        claim = _locked(Claim, Claim.objects.visible_to(actor), claim_id)
        CLAIM.check(action, claim.status, subject(claim))
        reason = "" if reason is None else check_reason(reason)
        if check is not None:
            check(claim)
        before = claim.status
        fields = dict(changes(claim) if callable(changes) else changes or {})
        if reason_field:
            fields[reason_field] = reason
        target_key = f"claim.{transition.target}"
        fields.setdefault("target_date", target(target_key, timezone.localdate(now)))
        CLAIM.move(Claim.objects, claim.pk, action, subject(claim),
                   status_changed_at=now, **fields)
        claim.refresh_from_db()
        record(actor=actor, action=f"claim.{action}", obj=claim, from_status=before, to_status=claim.status,
               reason=reason, ip=ip, at=now, data=data(claim) if callable(data) else data)
        _tell(claim, _("索赔 %(n)s：%(status)s") % {"n": claim.number, "status": claim.get_status_display()},
              reverse("claims:claim_detail", args=[claim.pk]), now)
    return claim


def take_claim(actor, claim_id, *, ip=None, now=None):
    """The insurer takes the claim into review; whoever takes it is its assignee unless one is set."""
    return _claim_move(actor, claim_id, "take", ip=ip, now=now,
                       changes=lambda claim: {"assignee": claim.assignee or actor})


def assign(actor, claim_id, assignee_id, *, ip=None):
    """经办人: one of the branch's own insurer users."""
    from singlewindow.accounts.models import User

    require_role(actor, Role.INSURER)
    assignee = User.objects.filter(pk=record_id(assignee_id), role=Role.INSURER, is_active=True,
                                   insurer_branch_id=actor.insurer_branch_id).first()
    if assignee is None:
        raise ValidationError({"assignee": _("请选择本机构的经办人。")})
    with transaction.atomic():
        claim = _locked(Claim, Claim.objects.visible_to(actor), claim_id)
        Claim.objects.filter(pk=claim.pk).update(assignee=assignee)
        record(actor=actor, action="claim.assign", obj=claim, ip=ip, data={"assignee": assignee.get_username()})
    return assignee


def _lines(lines, field):
    lines = [line.strip() for line in (lines or []) if line and line.strip()]
    return [clean_text(line, field=field, max_length=200) for line in lines[:20]]


def request_info(actor, claim_id, items, *, questions=(), ip=None, now=None):
    """需要您补充的材料: one InfoRequest per line of the insurer's lists, `items` the documents to upload and
    `questions` what the enterprise is to explain in writing (answered by a reply, no file)."""
    items, questions = _lines(items, "items"), _lines(questions, "questions")
    if not items and not questions:
        raise ValidationError({"items": _("请逐行写明需要企业补充的材料。")})
    now = now or timezone.now()
    K = InfoRequest.Kind
    with transaction.atomic():
        claim = _claim_move(actor, claim_id, "request_info", ip=ip, now=now,
                            data={"items": items, "questions": questions})
        InfoRequest.objects.bulk_create([
            InfoRequest(claim=claim, kind=kind, item=item, requested_by=actor, requested_at=now)
            for kind, lines in ((K.DOCUMENT, items), (K.EXPLANATION, questions)) for item in lines])
    _message_contact(claim, lambda: _("【单一窗口】保险公司需要您为索赔 %(n)s 补充材料，请在 %(date)s 前登录单一窗口查看并提交。") % {
        "n": claim.number, "date": claim.target_date}, "claim.request_info")
    return claim


def resubmit(actor, claim_id, replies=None, *, ip=None, now=None):
    """The enterprise sends what was asked for: every open item needs a document or a written reply."""
    replies = replies or {}
    now = now or timezone.now()

    def answered(claim):
        missing, unanswered = [], []
        for request in claim.requests.filter(answered_at=None):
            reply = clean_text(replies.get(request.pk) or replies.get(str(request.pk)), field=f"reply_{request.pk}",
                               required=False, max_length=1000)
            if request.kind == InfoRequest.Kind.EXPLANATION:
                if not reply:
                    unanswered.append(request.item)
            elif not reply and not request.documents.exists():
                missing.append(request.item)
            InfoRequest.objects.filter(pk=request.pk).update(reply=reply or request.reply, answered_at=now)
        problems = []
        if missing:
            problems.append(_("还有未补充的材料：%(items)s。请上传文件或填写说明。") % {"items": "、".join(missing)})
        if unanswered:
            problems.append(_("还有未答复的问题：%(items)s。请填写说明。") % {"items": "、".join(unanswered)})
        if problems:
            raise ValidationError({"__all__": problems})

    return _claim_move(actor, claim_id, "resubmit", ip=ip, now=now, check=answered)


def usd_rate_for(currency, usd_rate):
    """The rate to use: 1 for a claim in US dollars, else the insurer's, which must be positive."""
    if currency == "USD":
        return Decimal(1)
    try:
        rate = Decimal(str(usd_rate).strip())
    except (InvalidOperation, ValueError):
        rate = None
    if rate is None or not rate.is_finite() or rate <= 0 or rate > 100000 or rate != rate.quantize(Decimal("1e-6")):
        raise ValidationError({"usd_rate": _("请填写汇率（1单位原币折合美元，最多6位小数）。")})
    return rate


def working_for(claim, usd_rate, rate_date):
    """The indemnity the claim would get at `usd_rate` (dated `rate_date`) with its working, not saved."""
    scheme = claim.policy.scheme
    return indemnity.compute(
        amount=claim.claimed_amount, currency=claim.notice.currency, usd_rate=usd_rate, rate_date=rate_date,
        ratio=scheme.indemnity_ratio, maximum_usd=scheme.max_indemnity_usd,
        already_usd=counted_usd(claim.policy, excluding=claim.pk),
    )


def approve(actor, claim_id, *, usd_rate, rate_date, ip=None, now=None):
    """核赔: the indemnity computed and fixed with its working (indemnity.compute), the policy row locked so
    two claims of one policy year cannot both take its last dollars. The claim's status is checked before the
    rate and its date are read: a claim already decided is refused as such, whatever rate was typed."""
    now = now or timezone.now()

    def changes(claim):
        day = _date(rate_date, "rate_date")
        if day > timezone.localdate(now):
            raise ValidationError({"rate_date": _("汇率日期不能晚于今天。")})
        rate = usd_rate_for(claim.notice.currency, usd_rate)
        Policy.objects.select_for_update().filter(pk=claim.policy_id).first()
        result = working_for(claim, rate, day)
        return {"usd_rate": rate, "rate_date": day, "loss_usd": result.loss_usd,
                "indemnity_usd": result.indemnity_usd, "working": result.as_json()}

    claim = _claim_move(actor, claim_id, "approve", ip=ip, now=now, changes=changes)
    _message_contact(claim, lambda: _("【单一窗口】您的索赔 %(n)s 已核赔，赔款 USD %(amount)s，计算过程请登录单一窗口查看。") % {
        "n": claim.number, "amount": f"{claim.indemnity_usd:,.2f}"}, "claim.approve")
    return claim


def reject(actor, claim_id, *, reason, ip=None, now=None):
    claim = _claim_move(actor, claim_id, "reject", ip=ip, reason=reason, reason_field="decision_reason", now=now)
    _message_contact(claim, lambda: _("【单一窗口】您的索赔 %(n)s 未获赔付，原因：%(reason)s。") % {
        "n": claim.number, "reason": claim.decision_reason}, "claim.reject")
    return claim


def mark_paid(actor, claim_id, *, paid_on, amount_usd, reference, ip=None, now=None):
    """登记赔付: the date, the amount (the indemnity approved, to the cent) and the payment's reference, read
    once the claim's status allows it."""
    now = now or timezone.now()
    paid = {}

    def check(claim):
        day = _date(paid_on, "paid_on")
        amount = _amount(amount_usd, "amount_usd")
        paid.update(paid_on=day, paid_amount_usd=amount,
                    paid_reference=clean_text(reference, field="reference", max_length=60))
        if day > timezone.localdate(now):
            raise ValidationError({"paid_on": _("赔付日期不能晚于今天。")})
        if amount != claim.indemnity_usd:
            raise ValidationError({"amount_usd": _("赔付金额应等于核定赔款 USD %(amount)s。") % {
                "amount": f"{claim.indemnity_usd:,.2f}"}})
        if day < timezone.localdate(claim.status_changed_at):
            raise ValidationError({"paid_on": _("赔付日期不能早于核赔日期。")})

    return _claim_move(actor, claim_id, "pay", ip=ip, now=now, check=check, changes=lambda claim: paid,
                       data=lambda claim: {"reference": paid["paid_reference"]})


def withdraw_claim(actor, claim_id, *, reason, ip=None, now=None):
    return _claim_move(actor, claim_id, "withdraw", ip=ip, reason=reason, now=now)


def record_recovery(actor, claim_id, *, amount_usd, received_on, note="", ip=None, now=None):
    """追偿款 on a paid claim, shared by the indemnity ratio (indemnity.recovery_shares); the insurer's share
    restores the policy year's maximum only when the scheme says so."""
    require_role(actor, Role.INSURER)
    amount = _amount(amount_usd, "amount_usd")
    received_on = _date(received_on, "received_on")
    note = clean_text(note, field="note", required=False, max_length=200)
    now = now or timezone.now()
    if received_on > timezone.localdate(now):
        raise ValidationError({"received_on": _("到账日期不能晚于今天。")})
    with transaction.atomic():
        claim = _locked(Claim, Claim.objects.visible_to(actor), claim_id)
        if claim.status != Claim.Status.PAID:
            raise Refused("state", _("索赔 %(n)s 尚未赔付，不能登记追偿。") % {"n": claim.number})
        before = claim.recoveries.aggregate(total=Sum("insurer_share_usd"))["total"] or indemnity.ZERO
        scheme = claim.policy.scheme
        shares = indemnity.recovery_shares(amount_usd=amount, ratio=scheme.indemnity_ratio,
                                           indemnity_usd=claim.indemnity_usd, insurer_before_usd=before)
        recovery = Recovery.objects.create(
            claim=claim, amount_usd=amount, received_on=received_on, insurer_share_usd=shares.insurer_usd,
            enterprise_share_usd=shares.enterprise_usd,
            restored_usd=shares.insurer_usd if scheme.recovery_restores_limit else indemnity.ZERO,
            note=note, recorded_by=actor, recorded_at=now,
        )
        record(actor=actor, action="claim.recovery", obj=claim, ip=ip, at=now, data={
            "amount": str(amount), "insurer": str(shares.insurer_usd), "enterprise": str(shares.enterprise_usd)})
        _tell(claim, _("索赔 %(n)s：追回款 USD %(amount)s，贵企业分得 USD %(share)s") % {
            "n": claim.number, "amount": f"{amount:,.2f}", "share": f"{shares.enterprise_usd:,.2f}"},
            reverse("claims:claim_detail", args=[claim.pk]), now)
    return recovery


# --- what the enterprise is told happens next ----------------------------------------------------------

def next_step(case):
    """(what happens next, by when or None) for a notice or a claim: no status sits unexplained."""
    if isinstance(case, LossNotice):
        N = LossNotice.Status
        if case.status == N.SUBMITTED:
            return _("等待保险公司受理。如买方仍未付款，您可随时提出索赔。"), case.target_date
        if case.status == N.ACKNOWLEDGED:
            return _("保险公司已受理。如买方仍未付款，请在期限内提出索赔。"), claim_deadline(case)
        if case.status == N.CLAIMED:
            return _("已转为索赔，请查看索赔进度。"), None
        return _("已撤回，无需进一步操作。"), None
    C = Claim.Status
    texts = {
        C.SUBMITTED: _("等待保险公司开始审核。"),
        C.UNDER_REVIEW: _("保险公司审核中，将在此日期前作出决定或要求补充材料。"),
        C.INFO_REQUESTED: _("请补充保险公司要求的材料后提交。"),
        C.RESUBMITTED: _("保险公司正在审核您补充的材料。"),
        C.APPROVED: _("已核赔，保险公司将在此日期前支付赔款。"),
        C.PAID: _("赔款已支付。如日后追回欠款，将按赔偿比例分配。"),
        C.REJECTED: _("保险公司已拒赔，原因见下方。如有异议请联系保险公司。"),
        C.WITHDRAWN: _("已撤回，无需进一步操作。"),
    }
    return texts[case.status], case.target_date


def desk_next_step(claim):
    """(what the insurer must do next, by when or None) on a claim, in 理赔审核's own words: next_step is the
    enterprise's. The date is the claim's target (the enterprise's while it is asked for documents)."""
    C = Claim.Status
    texts = {
        C.SUBMITTED: _("请开始审核，核对索赔材料。"),
        C.UNDER_REVIEW: _("请核赔或拒赔；材料不全的，请要求企业补充。"),
        C.INFO_REQUESTED: _("等待企业补充材料，企业提交后再继续审核。"),
        C.RESUBMITTED: _("企业已补充材料：请审核所补材料，然后核赔或拒赔，或再次要求补充。"),
        C.APPROVED: _("请支付赔款并登记赔付。"),
        C.PAID: _("赔款已支付。如追回欠款，请登记追偿。"),
        C.REJECTED: _("已拒赔，无需进一步处理。"),
        C.WITHDRAWN: _("企业已撤回索赔，无需进一步处理。"),
    }
    return texts[claim.status], claim.target_date
