"""What happened to a policy, read back for its holder: the timeline and the 确认回执.

Read-only: the audit chain is the one record of every move (who, when, why), so the timeline is drawn
from it, not from a second history table that could disagree.
"""
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.audit.models import AuditEvent

from .models import Confirmation, Policy, PolicyStatus
from .transitions import TRANSITIONS

ISSUED = _("出单")


@dataclass(frozen=True)
class Step:
    at: datetime
    label: str
    by: str
    reason: str


def _by(event):
    """Who, as the enterprise may be told: its own people by name, others by organisation."""
    actor = event.actor
    if actor is None:
        return _("系统")
    if actor.role == Role.ENTERPRISE:
        return actor.display_name or actor.get_username()
    return actor.get_role_display()


def events(policy):
    """The policy's audit events, oldest first: what the timeline and the fields to correct are read from."""
    return list(AuditEvent.objects.filter(object_type=Policy._meta.label_lower, object_id=str(policy.pk))
                .select_related("actor").order_by("id"))


def timeline(recorded):
    """The moves among a policy's events(), oldest first: 出单 → 确认投保 → 审批通过 …, each with who and why."""
    steps = []
    for event in recorded:
        action = event.action.removeprefix("policy.")
        label = ISSUED if action == "issue" else TRANSITIONS[action].label if action in TRANSITIONS else None
        if label is not None:
            # 出单's reason is the insurer's 例外出单原因, kept for the audit; the moves' reasons are the enterprise's to read.
            reason = "" if action == "issue" else event.reason
            steps.append(Step(at=event.at, label=label, by=_by(event), reason=reason))
    return steps


def last_confirmation(policy):
    """The newest 确认投保 of the policy (a returned policy is confirmed again), or None."""
    return (Confirmation.objects.filter(policy=policy).select_related("user", "agreement")
            .order_by("-at", "-id").first())


def fields_to_correct(policy, recorded):
    """The contact fields the insurer's latest 退回 (among its events()) asked to correct, while still 已退回."""
    if policy.status != PolicyStatus.RETURNED:
        return []
    returns = [event for event in recorded if event.action == "policy.return"]
    return list((returns[-1].data or {}).get("fields", [])) if returns else []
