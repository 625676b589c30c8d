"""The funding application's state machine (DESIGN.md §4), one table every service consults and the tests walk
edge by edge, and the groupings the rest of the code asks for; and which policy statuses the ledger funds."""
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.machines import Machine, Transition
from singlewindow.policies.transitions import POLICY

from .models import FundingApplication

A = FundingApplication.Status
APPLICATION = Machine(A, [
    Transition("submit", frozenset({A.DRAFT, A.RETURNED}), A.SUBMITTED, Role.INSURER, _("提交")),
    Transition("return", frozenset({A.SUBMITTED}), A.RETURNED, Role.BUREAU, _("退回")),
    Transition("approve", frozenset({A.SUBMITTED}), A.APPROVED, Role.BUREAU, _("审核通过")),
    Transition("pay", frozenset({A.APPROVED}), A.PAID, Role.BUREAU, _("登记拨付")),
    Transition("reconcile", frozenset({A.PAID}), A.RECONCILED, Role.BUREAU, _("对账")),
    # 作废: the insurer drops a draft (or a returned one); its policies may go into another application.
    Transition("withdraw", frozenset({A.DRAFT, A.RETURNED}), A.WITHDRAWN, Role.INSURER, _("作废")),
])

# The insurer may still change it (invoice numbers, lines): a draft, or one the bureau returned.
EDITABLE = APPLICATION["submit"].sources
# Waiting for the bureau, in the order of its work: to review, to pay, to reconcile.
AT_BUREAU = frozenset({A.SUBMITTED, A.APPROVED, A.PAID})
# Approved money: what counts against the budget (approved, paid or reconciled).
APPROVED = frozenset({APPLICATION["approve"].target, APPLICATION["pay"].target, APPLICATION["reconcile"].target})
# Holding its policies: every status but 作废.
LIVE = frozenset(A.values) - {APPLICATION["withdraw"].target}

# The policy statuses whose premium the province and the city owe: taken effect (审批通过), and run its course
# after (已到期). A move into them commits the premium; a move out of them reverses it.
FUNDED = frozenset({POLICY["approve"].target, POLICY["expire"].target})
