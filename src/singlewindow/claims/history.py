"""What happened to a possible-loss notice or a claim, read back from the audit chain (as policies/history.py
does for a policy): each event a step with its label, when, who (policies.history._by) and why."""
from django.utils.translation import gettext_lazy as _

from singlewindow.audit.models import AuditEvent
from singlewindow.policies.history import Step, _by

from .models import Claim, LossNotice, NoticeMessage, SettlementConsent
from .transitions import CLAIM, NOTICE

SUBMITTED = _("提交")
NOTICE_LABELS = {
    "submit": SUBMITTED,
    **{action: transition.label for action, transition in NOTICE.transitions.items()},
    **{kind.value: kind.label for kind in NoticeMessage.Kind},  # question, answer, advice
}
CLAIM_LABELS = {
    "submit": SUBMITTED,
    **{action: transition.label for action, transition in CLAIM.transitions.items()},
    "document": _("上传材料"),
    "assign": _("指定经办人"),
    "recovery": _("登记追偿"),
}
SETTLEMENT_LABELS = {"propose": _("提出和解方案"), "decide": _("保险公司决定和解方案")}


def _events(model, pks):
    return AuditEvent.objects.filter(object_type=model._meta.label_lower, object_id__in=[str(pk) for pk in pks])


def timeline(obj):
    """The steps of a LossNotice (its settlement plans' among them) or of a Claim, oldest first."""
    if isinstance(obj, LossNotice):
        prefix, labels = "loss_notice.", NOTICE_LABELS
        settlements = SettlementConsent.objects.filter(notice=obj).values_list("pk", flat=True)
        recorded = _events(LossNotice, [obj.pk]) | _events(SettlementConsent, list(settlements))
    elif isinstance(obj, Claim):
        prefix, labels = "claim.", CLAIM_LABELS
        recorded = _events(Claim, [obj.pk])
    else:
        raise TypeError(f"no timeline for {type(obj).__name__}")
    steps = []
    for event in recorded.select_related("actor").order_by("id"):
        if event.action.startswith(prefix):
            label = labels.get(event.action.removeprefix(prefix))
        else:
            label = SETTLEMENT_LABELS.get(event.action.removeprefix("settlement."))
        if label is not None:
            steps.append(Step(at=event.at, label=label, by=_by(event), reason=event.reason))
    return steps
