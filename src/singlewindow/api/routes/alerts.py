"""风险预警 for the insurer's systems: its branch's alerts with their reach and reads, a draft, publish, withdraw.

The draft goes through the page's own form (alerts/forms.AlertForm) and services.save_draft, publish and withdraw
are services.publish / services.withdraw: whom an alert reaches and every rule stay written once.
"""
from django.core.exceptions import ValidationError
from django.db.models import Count
from ninja import Path, Query, Router

from singlewindow.accounts.models import Role
from singlewindow.alerts import services
from singlewindow.alerts.forms import AlertForm
from singlewindow.alerts.models import Alert

from .. import pagination
from ..schemas import AlertIn, AlertOut, AlertPage, AlertStatusValue, ReasonIn
from .common import ANY, MAX_ID, acting, ip

router = Router(tags=["风险预警"])


def _alerts(actor):
    return (Alert.objects.visible_to(actor)
            .annotate(delivered=Count("deliveries", distinct=True), read=Count("reads__enterprise", distinct=True))
            .prefetch_related("countries", "counties"))


def alert_out(alert):
    return {
        "id": alert.pk, "title": alert.title, "body": alert.body, "level": alert.level, "kind": alert.kind,
        "audience": alert.audience, "status": alert.status, "status_label": alert.get_status_display(),
        "valid_from": alert.valid_from, "valid_until": alert.valid_until,
        "countries": [c.pk for c in alert.countries.all()], "counties": [c.pk for c in alert.counties.all()],
        "industries": alert.industries, "created_at": alert.created_at, "published_at": alert.published_at,
        "withdrawn_at": alert.withdrawn_at, "withdraw_reason": alert.withdraw_reason,
        "delivered": alert.delivered, "read": alert.read,
    }


def _one(actor, alert_id):
    return alert_out(_alerts(actor).get(pk=alert_id))


@router.get("/alerts", response=AlertPage, summary="风险预警列表", description="本机构的预警（含草稿），新的在前。")
def list_alerts(request, status: AlertStatusValue | None = ANY,
                limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
                after: str | None = Query(None, max_length=200)):
    actor = acting(request, Role.INSURER)
    rows = _alerts(actor)
    if status:
        rows = rows.filter(status=status.value)
    return pagination.page("alerts", rows, limit=limit, after=after, serialize=alert_out)


@router.get("/alerts/{alert_id}", response=AlertOut, summary="风险预警")
def get_alert(request, alert_id: int = Path(..., ge=1, le=MAX_ID)):
    return _one(acting(request, Role.INSURER), alert_id)


@router.post("/alerts", response={201: AlertOut}, summary="新建预警草稿",
             description="与“新建预警”页面相同的规则；发布前不会送达企业。")
def create_alert(request, data: AlertIn):
    actor = acting(request, Role.INSURER)
    values = data.model_dump(mode="json")
    form = AlertForm(values, user=actor)
    if not form.is_valid():
        raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
    alert = services.save_draft(actor, form.cleaned_data, ip=ip(request))
    return 201, _one(actor, alert.pk)


@router.post("/alerts/{alert_id}/publish", response=AlertOut, summary="发布预警",
             description="确定送达范围并通知企业（高风险另发短信和邮件）。")
def publish_alert(request, alert_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, Role.INSURER)
    services.publish(actor, alert_id, ip=ip(request))
    return _one(actor, alert_id)


@router.post("/alerts/{alert_id}/withdraw", response=AlertOut, summary="撤回预警", description="须写明原因。")
def withdraw_alert(request, data: ReasonIn, alert_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, Role.INSURER)
    services.withdraw(actor, alert_id, reason=data.reason, ip=ip(request))
    return _one(actor, alert_id)
