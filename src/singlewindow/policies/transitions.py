"""The state machines of the policies app (DESIGN.md §4): the policy's, the 申领's and the batch run's, one
table each that every service consults, and the status groupings the rest of the code asks for."""
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.heartbeats import Staleness
from singlewindow.machines import Machine, Transition

from .models import Application, JobStatus
from .models import PolicyStatus as S

POLICY = Machine(
    S,
    [
        Transition("confirm", frozenset({S.PENDING, S.RETURNED}), S.CONFIRMED, Role.ENTERPRISE, _("确认投保")),
        Transition("approve", frozenset({S.CONFIRMED}), S.EFFECTIVE, Role.INSURER, _("审批通过")),
        Transition("return", frozenset({S.CONFIRMED}), S.RETURNED, Role.INSURER, _("退回")),
        Transition("decline", frozenset({S.PENDING, S.RETURNED}), S.DECLINED, Role.ENTERPRISE, _("放弃投保")),
        # An effective policy may be cancelled too (the enterprise deregistered, issued in error): its subsidy is
        # reversed by a new ledger entry and its 电子保单 reissued as 已撤销 (issues 13 and 14).
        Transition(
            "cancel", frozenset({S.PENDING, S.CONFIRMED, S.RETURNED, S.EFFECTIVE}), S.CANCELLED, Role.INSURER,
            _("撤销")
        ),
        Transition("lapse", frozenset({S.PENDING, S.RETURNED}), S.LAPSED, None, _("确认期满")),
        Transition("expire", frozenset({S.EFFECTIVE}), S.EXPIRED, None, _("保险期满")),
    ],
)
TRANSITIONS = POLICY.transitions

# --- groupings of policy statuses, from the table ---------------------------------------------------
# The policies that wait for the enterprise's 确认投保: the sources of confirm (and of decline and lapse).
WAITING = TRANSITIONS["confirm"].sources
# Taken up (the bureau's 确认率): the enterprise confirmed, and where approval and the end of cover lead.
TAKEN_UP = frozenset({TRANSITIONS["confirm"].target, TRANSITIONS["approve"].target, TRANSITIONS["expire"].target})
# Holding its period: a policy that insures it or is on its way to (it stops another policy overlapping it).
HOLDING = WAITING | TAKEN_UP

# --- 申领 (policies/issuance.py): submitted when created, issued by the insurer or by the batch ---------
A = Application.Status
APPLICATION = Machine(A, [
    Transition("issue", frozenset({A.SUBMITTED}), A.ISSUED, Role.INSURER, _("出单")),
])

# --- 批量出单 runs (policies/issuance.py): queued when started; the worker's moves answer True or False ---
J = JobStatus
ISSUANCE_RUN = Machine(J, [
    Transition("begin", frozenset({J.QUEUED}), J.RUNNING, None, _("开始出单")),  # a worker takes the run
    Transition("finish", frozenset({J.RUNNING}), J.DONE, None, _("完成")),  # nobody left to issue
    Transition("fail", frozenset({J.QUEUED, J.RUNNING}), J.FAILED, None, _("中断")),  # the worker hit an error
    # 继续: the insurer starts a failed run again, or a running one whose worker went silent (stale)
    Transition("resume", frozenset({J.FAILED, J.RUNNING}), J.QUEUED, Role.INSURER, _("继续出单")),
])
# Running with no progress (heartbeat, else creation) for SW_ISSUANCE_STALE: the worker died. Each chunk beats.
ISSUANCE_STALENESS = Staleness(frozenset({J.RUNNING}), ("heartbeat", "created_at"), lambda: settings.SW_ISSUANCE_STALE)


def allowed(action, status):
    return POLICY.allowed(action, status)
