"""名单公示: a bureau publishes the eligible enterprises of its region under a scheme for a period (at least
PUBLICATION_MIN_DAYS), objections are recorded and answered, then the bureau confirms the list. A scheme
whose `publication_required` is set counts as eligible only the enterprises on a confirmed list
(eligibility.confirmed_entries): batch issuance, 申领 and manual issue all follow from that one term.

Each action here takes the lock, checks the rule, changes state and writes its audit event in one transaction.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow import bulk
from singlewindow.accounts.models import Role
from singlewindow.audit.services import record
from singlewindow.machines import Refused
from singlewindow.policies.models import Scheme
from singlewindow.validators import clean_text

from . import eligibility
from .models import Enterprise, Objection, Publication, PublicationEntry
from .transitions import PUBLICATION

PUBLICATION_MIN_DAYS = 5  # 公示期不少于 5 个工作日 in the published local rules; calendar days here, stated on the page
TEXT_MAX = 2000


def _bureau(actor):
    if getattr(actor, "role", None) != Role.BUREAU or not actor.region_id:
        raise PermissionDenied


def _text(errors, field, value, *, required=True, max_length=TEXT_MAX):
    """validators.clean_text, its message kept in `errors` under `field`: a form shows all its problems at once."""
    try:
        return clean_text(value, required=required, max_length=max_length)
    except ValidationError as error:
        errors[field] = error.messages
        return ""


def publish(actor, scheme_id, *, starts_on, ends_on, note="", ip=None, now=None):
    """Publish the eligible enterprises of the bureau's region under the scheme, as they stand now."""
    _bureau(actor)
    now = now or timezone.now()
    errors = {}
    note = _text(errors, "note", note, required=False)
    if starts_on and ends_on and (ends_on - starts_on).days + 1 < PUBLICATION_MIN_DAYS:
        errors["ends_on"] = _("公示期不少于 %(n)s 天（含首尾两日）。") % {"n": PUBLICATION_MIN_DAYS}
    if starts_on and starts_on < timezone.localdate(now):
        errors["starts_on"] = _("公示开始日不能早于今天。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        scheme = Scheme.objects.visible_to(actor).select_for_update().filter(pk=scheme_id).first()
        if scheme is None:
            raise ValidationError({"scheme": _("请选择列表中的投保方案。")})
        if Publication.objects.filter(scheme=scheme, region=actor.region_id).exclude(
                status=Publication.Status.WITHDRAWN).exists():
            raise Refused("exists", _("本辖区已公示过该方案的名单；如需重新公示，请先撤回原公示。"))
        publication = Publication.objects.create(
            scheme=scheme, region_id=actor.region_id, starts_on=starts_on, ends_on=ends_on, note=note,
            published_by=actor, published_at=now)
        records = eligibility.eligible_records(scheme, published=False).filter(
            enterprise__region__code__startswith=actor.region.prefix)
        rows = [(publication.pk, enterprise_id, usd, False)
                for enterprise_id, usd in records.values_list("enterprise", "export_usd").order_by("enterprise")]
        bulk.insert(PublicationEntry, ["publication", "enterprise", "export_usd", "removed"], rows)
        Publication.objects.filter(pk=publication.pk).update(entries=len(rows))
        publication.entries = len(rows)
        record(actor=actor, action="publication.publish", obj=publication, to_status=publication.status, ip=ip,
               at=now, data={"scheme": scheme.pk, "entries": len(rows), "starts_on": starts_on.isoformat(),
                             "ends_on": ends_on.isoformat()})
    return publication


def _locked(actor, publication_id):
    publication = (Publication.objects.visible_to(actor).select_for_update(of=("self",))
                   .select_related("scheme", "region").filter(pk=publication_id).first())
    if publication is None:
        raise Publication.DoesNotExist
    if actor.role == Role.BUREAU and publication.region_id != actor.region_id:
        raise PermissionDenied  # a city bureau reads its counties' lists; each county decides its own
    return publication


def object_to(actor, publication_id, *, text, objector="", contact="", enterprise_id=None, ip=None, now=None):
    """异议: an enterprise of the list's region objects (about itself by default), or the bureau records one it
    received by letter or phone (naming the objector). Taken only while the list is 公示中."""
    now = now or timezone.now()
    errors = {}
    text = _text(errors, "text", text)
    if actor.role == Role.ENTERPRISE:
        objector, contact = actor.enterprise.name if actor.enterprise_id else "", actor.mobile or actor.email or ""
        enterprise_id = actor.enterprise_id
    else:
        _bureau(actor)
        objector = _text(errors, "objector", objector, max_length=100)
        contact = _text(errors, "contact", contact, max_length=50)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        publication = _locked(actor, publication_id)
        if publication.status != Publication.Status.PUBLISHED:
            raise PUBLICATION.refusal("withdraw", publication.status, _("该公示"))
        if not publication.starts_on <= timezone.localdate(now) <= publication.ends_on:
            raise Refused("closed", _("公示期为 %(start)s 至 %(end)s（含当日），不在公示期内不能提出异议。") % {
                "start": publication.starts_on, "end": publication.ends_on})
        enterprise = None
        if enterprise_id:
            enterprise = Enterprise.objects.filter(
                pk=enterprise_id, region__code__startswith=publication.region.prefix).first()
            if enterprise is None:
                raise ValidationError({"enterprise": _("所涉企业不在本公示的范围内。")})
        objection = Objection.objects.create(publication=publication, enterprise=enterprise, objector=objector,
                                             contact=contact[:50], text=text, filed_by=actor, filed_at=now)
        record(actor=actor, action="publication.object", obj=publication, ip=ip, at=now,
               data={"objection": objection.pk, "enterprise": enterprise_id})
    return objection


def answer(actor, publication_id, objection_id, *, answer, remove=False, ip=None, now=None):
    """The bureau's answer to an objection; `remove` takes the enterprise it concerns off the list."""
    _bureau(actor)
    now = now or timezone.now()
    errors = {}
    answer = _text(errors, "answer", answer)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        publication = _locked(actor, publication_id)
        if publication.status != Publication.Status.PUBLISHED:
            raise PUBLICATION.refusal("confirm", publication.status, _("该公示"))
        objection = publication.objections.select_for_update().filter(pk=objection_id).first()
        if objection is None:
            raise Objection.DoesNotExist
        if objection.answered_at:
            raise Refused("already", _("该异议已处理，无需重复操作。"))
        if remove and objection.enterprise_id:
            PublicationEntry.objects.filter(publication=publication, enterprise=objection.enterprise_id).update(
                removed=True)
        Objection.objects.filter(pk=objection.pk).update(answer=answer, answered_by=actor, answered_at=now)
        record(actor=actor, action="publication.answer", obj=publication, ip=ip, at=now, reason=answer,
               data={"objection": objection.pk, "removed": bool(remove and objection.enterprise_id)})
    objection.refresh_from_db()
    return objection


def confirm(actor, publication_id, *, ip=None, now=None):
    """确认名单: after the period's last day, with every objection answered. The list then fixes eligibility
    under a scheme that requires 公示."""
    _bureau(actor)
    now = now or timezone.now()
    with transaction.atomic():
        publication = _locked(actor, publication_id)
        if publication.status == Publication.Status.PUBLISHED:
            if timezone.localdate(now) <= publication.ends_on:
                raise Refused("early", _("公示期至 %(end)s（含当日）结束，期满后才能确认名单。") % {
                    "end": publication.ends_on})
            if publication.objections.filter(answered_at__isnull=True).exists():
                raise Refused("open", _("尚有未处理的异议，请先处理全部异议再确认名单。"))
        PUBLICATION.move(Publication.objects.all(), publication.pk, "confirm", _("该公示"),
                         decided_by=actor, decided_at=now)
        record(actor=actor, action="publication.confirm", obj=publication, from_status=publication.status,
               to_status=Publication.Status.CONFIRMED, ip=ip, at=now)
        eligibility.changed()
    return publication


def withdraw(actor, publication_id, *, reason, ip=None, now=None):
    """撤回公示 with a reason: the list no longer counts, and the region may publish again."""
    _bureau(actor)
    now = now or timezone.now()
    errors = {}
    reason = _text(errors, "reason", reason, max_length=500)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        publication = _locked(actor, publication_id)
        PUBLICATION.move(Publication.objects.all(), publication.pk, "withdraw", _("该公示"),
                         decided_by=actor, decided_at=now, reason=reason)
        record(actor=actor, action="publication.withdraw", obj=publication, from_status=publication.status,
               to_status=Publication.Status.WITHDRAWN, ip=ip, at=now, reason=reason)
        eligibility.changed()
    return publication

