"""Policy business actions. Each is one transaction: lock, re-check, change, audit, notify."""
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from singlewindow.accounts.models import LoginMethod, Role
from singlewindow.audit.services import record
from singlewindow.forms import record_id
from singlewindow.machines import Refused
from singlewindow.notifications import services as notifications
from singlewindow.subsidies import services as subsidies
from singlewindow.validators import clean_contacts, no_markup

from . import tally
from .models import (
    REASON_MAX_LENGTH,
    Confirmation,
    Policy,
    PolicyStatus,
    PremiumRule,
    Scheme,
    reason_missing,
    reason_too_long,
)
from .transitions import HOLDING, POLICY, TRANSITIONS

log = logging.getLogger(__name__)


def refusal(policy, action):
    """Refused: the policy is no longer in a state that allows `action` (a second click, another tab); the
    machine's one wording ("already done" when it is where the action leads), naming the policy."""
    return POLICY.refusal(action, policy.status, subject=_("保单 %(number)s ") % {"number": policy.number})


def check_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": reason_missing()})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": reason_too_long()})
    try:
        no_markup(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error.messages}) from None
    return reason


def eligibility_changed():
    from singlewindow.enterprises.eligibility import changed

    changed()


def _transition(actor, policy_id, action, *, ip=None, reason="", typed_reason=None, changes=None, data=None,
                now=None):
    """Move one policy along TRANSITIONS[action] or raise. Returns the policy as it is now.

    A `typed_reason` (as the user typed it) is checked (check_reason) after the status: a policy that is no
    longer in a state for the move is refused as such, whatever was typed. `now` is the moment the move
    happens (default: the clock's); the demo passes its own to build a past."""
    transition = TRANSITIONS[action]
    if transition.actor_role and getattr(actor, "role", None) != transition.actor_role:
        raise PermissionDenied
    scope = Policy.objects.visible_to(actor) if transition.actor_role else Policy.objects.all()
    with transaction.atomic():
        # The row lock (PostgreSQL) and the conditional UPDATE (both engines) each stop a second transition.
        policy = scope.select_for_update(of=("self",)).select_related("enterprise").filter(pk=policy_id).first()
        if policy is None:
            raise Policy.DoesNotExist
        if typed_reason is not None:
            if policy.status not in transition.sources:
                raise refusal(policy, action)
            reason = check_reason(typed_reason)
        now = now or timezone.now()
        fields = {"status": transition.target, "status_changed_at": now, **(changes or {})}
        if reason:
            fields["last_reason"] = reason
        updated = Policy.objects.filter(pk=policy.pk, status__in=transition.sources).update(**fields)
        if updated != 1:
            raise refusal(policy, action)
        before = policy.status
        for name, value in fields.items():
            setattr(policy, name, value)
        event = record(
            actor=actor, action=f"policy.{action}", obj=policy, from_status=before,
            to_status=transition.target, reason=reason, ip=ip, data=data, at=now,
        )
        subsidies.follow(policy, before, event=event, at=now)  # the ledger commits or reverses with the move
        tally.shift([(policy.scheme_id, policy.enterprise.region_id, before, transition.target, policy.premium)])
        if (before in HOLDING) != (transition.target in HOLDING):
            eligibility_changed()  # it stops (or starts) barring a policy under an overlapping scheme
        notifications.policy_changed(policy, action)  # in the transaction: the notice commits or rolls back with it
    log.info("policy %s %s: %s -> %s", policy.number, action, before, transition.target)
    return policy


# --- issue ------------------------------------------------------------------

def premium_from_exports(scheme, export_usd):
    """The premium in 元 for basis-year exports of `export_usd` US dollars.

    Fixed rule: the scheme's amount per enterprise. Rate rule: exports × rate % × the scheme's USD→CNY
    rate, rounded to the fen, then raised to the minimum and capped at the maximum (0 = no cap).
    """
    if scheme.premium_rule == PremiumRule.FIXED:
        return scheme.premium_fixed
    if not scheme.usd_cny_rate:
        raise ValidationError({"usd_cny_rate": _("按费率计收保费的方案须设置美元兑人民币汇率。")})
    base = Decimal(export_usd or 0)
    amount = (base * scheme.premium_rate / 100 * scheme.usd_cny_rate).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    if scheme.premium_max:
        amount = min(amount, scheme.premium_max)
    return max(amount, scheme.premium_min)


def premium_for(scheme, enterprise):
    if scheme.premium_rule == PremiumRule.FIXED:
        return scheme.premium_fixed
    record_ = enterprise.export_records.filter(year=scheme.basis_year).first()
    return premium_from_exports(scheme, record_.export_usd if record_ else Decimal(0))


def policy_number(scheme, enterprise):
    """Deterministic, so issuing twice can never mint two numbers for one insured."""
    return number_for(scheme, enterprise.pk)


def number_for(scheme, enterprise_id):
    return f"XW{scheme.year}{scheme.pk:03d}{enterprise_id:08d}"


def own_scheme(actor, scheme_id, *, lock=False):
    """The scheme `scheme_id` (a page's value, not trusted) names among the insurer's own branch's, or the form's
    refusal. The one statement of the rule 出具保单 and 批量出单 share; `lock` holds the row as batch issuance does."""
    if getattr(actor, "role", None) != Role.INSURER:
        raise PermissionDenied
    scheme_id = record_id(scheme_id)
    schemes = Scheme.objects.visible_to(actor).select_related("region")
    if lock:
        schemes = schemes.select_for_update(of=("self",))
    scheme = schemes.filter(pk=scheme_id).first() if scheme_id else None
    if scheme is None:
        raise ValidationError({"scheme": _("请选择本机构承保的方案。")})
    return scheme


def check_open(scheme, now=None):
    """A scheme takes new policies (batch or single) until its confirmation deadline, inclusive (at `now`)."""
    if timezone.localdate(now) > scheme.confirm_deadline:
        raise ValidationError({"scheme": _("本方案的确认截止日（%(date)s）已过，不能再出单。") % {
            "date": scheme.confirm_deadline.isoformat()}})


def issue(actor, scheme_id, enterprise_id, *, ip=None, exception_reason=None, now=None):
    """出具保单 to one enterprise under an open scheme of the insurer's branch.

    The enterprise must be eligible by the rule batch issuance and 申领 use (enterprises/eligibility.py).
    例外出单: an insurer who must issue outside that rule passes `exception_reason` (checked like any
    reason); it goes into the audit event with the verdict it overrode. One policy per scheme holds always.
    """
    from singlewindow.enterprises import eligibility
    from singlewindow.enterprises.models import Enterprise

    if getattr(actor, "role", None) != Role.INSURER:
        raise PermissionDenied
    exception = exception_reason is not None
    if exception:
        exception_reason = check_reason(exception_reason)
    with transaction.atomic():
        # Locked as batch issuance locks it, so the two never decide on the same enterprise at once.
        scheme = own_scheme(actor, scheme_id, lock=True)
        check_open(scheme, now)
        enterprise = Enterprise.objects.visible_to(actor).select_related("region").filter(pk=enterprise_id).first()
        if enterprise is None:
            raise ValidationError({"enterprise": _("该企业不在本机构的服务区域内。")})
        verdict = eligibility.explain(enterprise, scheme)
        if verdict.duplicate:
            raise Refused(
                "duplicate", _("该企业在本方案下已有保单 %(number)s（%(status)s），不能重复出单。")
                % {"number": verdict.policy.number, "status": verdict.policy.get_status_display()}
            )
        if not verdict.eligible and not exception:
            raise ValidationError({"enterprise": _("该企业不符合本方案的出单条件：%(why)s")
                                   % {"why": verdict.to_insurer}})
        now = now or timezone.now()
        policy = Policy.objects.create(
            scheme=scheme, enterprise=enterprise, number=policy_number(scheme, enterprise),
            premium=premium_for(scheme, enterprise), issued_at=now, status_changed_at=now,
        )
        data = {"exception": True, "eligibility": verdict.reason} if exception else None
        record(actor=actor, action="policy.issue", obj=policy, to_status=policy.status, ip=ip,
               reason=exception_reason or "", data=data, at=now)
        tally.shift([(scheme.pk, enterprise.region_id, None, policy.status, policy.premium)])
        eligibility_changed()
        notifications.policy_changed(policy, "issue")
    return policy


def issue_many(actor, scheme, rows, *, ip=None):
    """Issue 待确认 policies for `rows` [(enterprise_id, basis-year exports USD)] in the caller's transaction.

    The bulk twin of issue() for batch issuance (policies/issuance.py decides who is eligible): policies,
    one audit event each (record_many) and one 新保单待确认 notice each, all or none. Numbers are
    policy_number()'s, so a retried batch collides on the unique number instead of minting new ones.
    Rows go in through singlewindow.bulk (COPY on PostgreSQL), not model instances. Returns the new ids.
    """
    from singlewindow import bulk
    from singlewindow.audit.services import record_many
    from singlewindow.notifications.models import Notice

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issue_many must run inside a transaction")
    now = timezone.now()
    ids = bulk.reserve_ids(Policy, len(rows))
    premiums = [premium_from_exports(scheme, export_usd) for _enterprise_id, export_usd in rows]
    bulk.insert(Policy, [
        "id", "number", "scheme", "enterprise", "status", "premium", "issued_at", "status_changed_at",
        "contact_name", "contact_phone", "contact_email", "last_reason",
    ], [
        (pk, number_for(scheme, enterprise_id), scheme.pk, enterprise_id, PolicyStatus.PENDING, premium, now, now,
         "", "", "", "")
        for pk, (enterprise_id, _usd), premium in zip(ids, rows, premiums, strict=True)
    ])
    from singlewindow.enterprises.models import Enterprise

    regions = dict(Enterprise.objects.filter(pk__in=[e for e, _usd in rows]).values_list("pk", "region"))
    tally.shift((scheme.pk, regions[enterprise_id], None, PolicyStatus.PENDING, premium)
                for (enterprise_id, _usd), premium in zip(rows, premiums, strict=True))
    eligibility_changed()
    batch = {"batch": True}
    record_many(actor=actor, events=(
        {"action": "policy.issue", "object_type": "policies.policy", "object_id": pk,
         "to_status": PolicyStatus.PENDING, "ip": ip, "data": batch}
        for pk in ids
    ))
    bulk.insert(Notice, ["enterprise", "policy", "kind", "title", "link", "created_at"],
                [(enterprise_id, pk, Notice.Kind.ISSUED, "", "", now) for pk, (enterprise_id, _usd) in zip(ids, rows)])
    return ids


# --- enterprise -------------------------------------------------------------

def agreement_problem(agreement, sha256):
    """Why the agreement was not accepted (the box unticked, or a page showing another text), or None."""
    if sha256 != agreement.sha256:
        return _("请先阅读并同意《中国出口信用保险公司客户网上服务协议》。")
    return None


def confirm(actor, policy_id, *, contact_name, contact_phone, contact_email="", agreement_sha256,
            login_method=LoginMethod.PASSWORD, ip=None, user_agent="", card_proof="", now=None):
    """确认投保: store the contacts and the proof of what was accepted, then wait for the insurer.

    A card session brings `card_proof` (eport.services.signing_proof: the challenge and the card's signature);
    the card authority checks it and returns the signature record the Confirmation keeps."""
    errors = {}
    contact_name, contact_phone = clean_contacts(errors, contact_name, contact_phone)
    policy = Policy.objects.visible_to(actor).select_related("scheme__agreement").filter(pk=policy_id).first()
    if policy is None:
        raise Policy.DoesNotExist
    agreement = policy.scheme.agreement
    if timezone.localdate(now) > policy.scheme.confirm_deadline:
        errors["__all__"] = _("本方案的确认截止日（%(date)s，含当日）已过，不能再确认投保。") % {
            "date": policy.scheme.confirm_deadline.isoformat(),
        }
    if problem := agreement_problem(agreement, agreement_sha256):
        errors["agreement"] = problem
    if errors:
        raise ValidationError(errors)
    signature_record = ""
    if login_method == LoginMethod.CARD:
        # A card user's confirmation carries the card's signature: the card authority checks it and what it signed.
        from singlewindow.eport.services import verify_confirmation

        signature_record = verify_confirmation(
            actor, policy, card_proof, contact_name=contact_name, contact_phone=contact_phone,
            contact_email=contact_email, agreement_sha256=agreement.sha256, ip=ip,
        )
    with transaction.atomic():
        now = now or timezone.now()
        policy = _transition(
            actor, policy_id, "confirm", ip=ip,
            changes={"contact_name": contact_name, "contact_phone": contact_phone, "contact_email": contact_email},
            data={"agreement": agreement.version, "login_method": login_method}, now=now,
        )
        Confirmation.objects.create(
            policy=policy, user=actor, at=now, ip=ip, user_agent=(user_agent or "")[:300],
            login_method=login_method, agreement=agreement, agreement_sha256=agreement.sha256,
            contact_name=contact_name, contact_phone=contact_phone, contact_email=contact_email,
            signature=signature_record,
        )
        documents_changed(policy.pk)  # its 确认回执 (PDF), made by a job after commit
    return policy


def decline(actor, policy_id, *, reason, ip=None, login_method=LoginMethod.PASSWORD, card_proof="", now=None):
    """放弃投保. A card user's decline carries the card's signature of the policy, enterprise, reason and time,
    checked as at 确认投保 and kept in the audit event."""
    data = {"login_method": login_method}
    if login_method == LoginMethod.CARD:
        from singlewindow.eport.services import verify_decline

        policy = Policy.objects.visible_to(actor).select_related("enterprise").filter(pk=policy_id).first()
        if policy is None:
            raise Policy.DoesNotExist
        if policy.status not in TRANSITIONS["decline"].sources:  # said before a signature is spent on it
            raise refusal(policy, "decline")
        reason = check_reason(reason)
        data["card_signature"] = verify_decline(actor, policy, card_proof, reason=reason, ip=ip)
    return _transition(actor, policy_id, "decline", ip=ip, typed_reason=reason, data=data, now=now)


# --- insurer ----------------------------------------------------------------

def approve(actor, policy_id, *, ip=None, now=None):
    """审批通过: cover runs from the approval date (Asia/Shanghai, of `now`) to the scheme's end, inclusive."""
    policy = Policy.objects.visible_to(actor).select_related("scheme").filter(pk=policy_id).first()
    if policy is None:
        raise Policy.DoesNotExist
    today = timezone.localdate(now)
    if today > policy.scheme.cover_end:
        raise Refused("cover_ended", _("方案保险期间已于 %(date)s 结束，不能再审批生效。") % {
            "date": policy.scheme.cover_end.isoformat(),
        })
    start = max(today, policy.scheme.cover_start)
    policy = _transition(
        actor, policy_id, "approve", ip=ip, changes={"cover_start": start, "cover_end": policy.scheme.cover_end},
        now=now,
    )
    documents_changed(policy.pk)  # its 电子保单 (signed PDF), made by a job after commit
    return policy


def approve_many(actor, policy_ids, *, ip=None):
    """Approve each in its own transaction; report which were done and which were refused and why."""
    done, refused = [], []
    for policy_id in policy_ids:
        try:
            done.append(approve(actor, policy_id, ip=ip))
        except Refused as error:
            refused.append((policy_id, str(error)))
        except Policy.DoesNotExist:
            refused.append((policy_id, _("保单不存在或不在本机构的服务区域内。")))
    return done, refused


# What a 退回 may ask the enterprise to correct: the contacts it confirmed with (its confirm form's fields).
CORRECTABLE = {"contact_name": _lazy("联系人"), "contact_phone": _lazy("联系电话"), "contact_email": _lazy("电子邮箱")}


def return_policy(actor, policy_id, *, reason, fields=(), ip=None, now=None):
    """退回 with a reason and, optionally, the contact fields to correct (kept in the audit event's data:
    the enterprise's page highlights them until it confirms again)."""
    fields = sorted(set(fields))
    if unknown := set(fields) - set(CORRECTABLE):
        raise ValidationError({"to_correct": _("不能要求修改：%(names)s。") % {"names": "、".join(sorted(unknown))}})
    return _transition(actor, policy_id, "return", ip=ip, typed_reason=reason, now=now,
                       data={"fields": fields} if fields else None)


def cancel(actor, policy_id, *, reason, ip=None, now=None):
    policy = _transition(actor, policy_id, "cancel", ip=ip, typed_reason=reason, now=now)
    documents_changed(policy.pk)  # a policy with an 电子保单 gets a new version saying it was cancelled
    return policy


def documents_changed(policy_id):
    """Queue the job that makes the policy's PDFs (documents/services.py) once the transaction commits."""
    from singlewindow.documents.services import policy_changed

    policy_changed(policy_id)


# --- calendar (system) --------------------------------------------------------
# "Today" is the Asia/Shanghai date. Both end dates are inclusive: a policy whose confirmation
# deadline is today can still be confirmed today, and cover that ends today is in force today.

def lapse_overdue(today=None):
    """待确认/已退回 past the scheme's confirmation deadline become 已过期."""
    today = today or timezone.localdate()
    return _run_system(Policy.objects.filter(scheme__confirm_deadline__lt=today), "lapse", reason=_("确认截止日已过"))


def expire_ended(today=None):
    """已生效 whose cover ended before today become 已到期."""
    today = today or timezone.localdate()
    return _run_system(Policy.objects.filter(cover_end__lt=today), "expire", reason=_("保险期间届满"))


SYSTEM_CHUNK = 5000


def _run_system(policies, action, reason):
    """Move every policy of `policies` in the action's source statuses, SYSTEM_CHUNK per transaction.

    The bulk twin of _transition for the calendar (a province-wide deadline lapses a hundred thousand
    policies in one night): the chunk's rows are locked first (PostgreSQL; SQLite's IMMEDIATE transaction
    holds the write lock), so a policy confirmed a moment earlier is no longer selected, and each policy
    moved gets its own audit event. Returns how many moved.
    """
    from singlewindow.audit.services import record_many

    transition = TRANSITIONS[action]
    candidates = (policies.filter(status__in=transition.sources).order_by("pk")
                  .select_for_update(of=("self",)).values_list("pk", "status", "scheme", "enterprise__region",
                                                                  "premium"))
    done, last = 0, 0
    while True:
        with transaction.atomic():
            found = list(candidates.filter(pk__gt=last)[:SYSTEM_CHUNK])
            if not found:
                break
            rows = [(pk, status) for pk, status, *_cell in found]
            moved = Policy.objects.filter(pk__in=[pk for pk, _status in rows]).update(
                status=transition.target, status_changed_at=timezone.now(), last_reason=reason)
            if moved != len(rows):  # cannot happen while the rows are locked; never write events for it
                raise RuntimeError(f"calendar {action}: {len(rows)} locked, {moved} moved")
            record_many(actor=None, events=(
                {"action": f"policy.{action}", "object_type": "policies.policy", "object_id": pk,
                 "from_status": status, "to_status": transition.target, "reason": reason}
                for pk, status in rows
            ))
            subsidies.follow_many(rows, transition.target, cause=f"policy.{action}")  # the ledger, in bulk
            tally.shift((scheme, region, status, transition.target, premium)
                        for _pk, status, scheme, region, premium in found)
            if any((status in HOLDING) != (transition.target in HOLDING) for _pk, status in rows):
                eligibility_changed()
        done += len(rows)
        last = rows[-1][0]
        log.info("calendar %s: %s policies -> %s", action, len(rows), transition.target)
    return done


# --- schemes -------------------------------------------------------------------------------------

def save_scheme(actor, fields, *, scheme_id=None, ip=None):
    """Create a scheme from `fields` (the scheme form's cleaned data) or change the one `scheme_id` names, within
    the actor's scope; an insurer only under its own branch. One audit event lists what changed, as stored
    (2500000 and 2500000.00 are one amount). Issued policies keep their terms; new issuance uses the new ones."""
    if actor.role == Role.INSURER and getattr(fields.get("insurer_branch"), "pk", None) != actor.insurer_branch_id:
        raise PermissionDenied
    names = list(fields)
    with transaction.atomic():
        if scheme_id is None:
            scheme, before = Scheme(), {}
        else:
            scheme = Scheme.objects.visible_to(actor).select_for_update().get(pk=scheme_id)
            before = model_to_dict(scheme, fields=names)
        for name, value in fields.items():
            setattr(scheme, name, value)
        scheme.save()
        scheme.refresh_from_db()
        after = model_to_dict(scheme, fields=names)
        changed = {name: str(value) for name, value in after.items() if before.get(name) != value}
        record(actor=actor, action="scheme.update" if scheme_id else "scheme.create", obj=scheme, ip=ip,
               data={"changed": changed})
        eligibility_changed()
    return scheme
