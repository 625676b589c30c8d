"""The policy state machine of DESIGN.md §4: the one table every service consults."""
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.machines import Machine, Transition

from .models import PolicyStatus as S

POLICY = Machine(
    S,
    [
        Transition("confirm", frozenset({S.PENDING, S.RETURNED}), S.CONFIRMED, Role.ENTERPRISE, _("确认投保")),
        Transition("approve", frozenset({S.CONFIRMED}), S.EFFECTIVE, Role.INSURER, _("审批通过")),
        Transition("return", frozenset({S.CONFIRMED}), S.RETURNED, Role.INSURER, _("退回")),
        Transition("decline", frozenset({S.PENDING, S.RETURNED}), S.DECLINED, Role.ENTERPRISE, _("放弃投保")),
        Transition(
            "cancel", frozenset({S.PENDING, S.CONFIRMED, S.RETURNED}), S.CANCELLED, Role.INSURER, _("撤销")
        ),
        Transition("lapse", frozenset({S.PENDING, S.RETURNED}), S.LAPSED, None, _("确认期满")),
        Transition("expire", frozenset({S.EFFECTIVE}), S.EXPIRED, None, _("保险期满")),
    ],
)
TRANSITIONS = POLICY.transitions
# The policies that wait for the enterprise's 确认投保: the sources of confirm (and of decline and lapse).
WAITING = TRANSITIONS["confirm"].sources


def allowed(action, status):
    return POLICY.allowed(action, status)
