"""The state machines of the claims app (DESIGN.md §4): the possible-loss notice's and the claim's, one table
each that every service consults and the tests walk edge by edge."""
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.machines import Machine, Transition

from .models import Claim, LossNotice

N = LossNotice.Status
NOTICE = Machine(N, [
    Transition("acknowledge", frozenset({N.SUBMITTED}), N.ACKNOWLEDGED, Role.INSURER, _("受理")),
    Transition("claim", frozenset({N.SUBMITTED, N.ACKNOWLEDGED}), N.CLAIMED, Role.ENTERPRISE, _("索赔")),
    Transition("withdraw", frozenset({N.SUBMITTED, N.ACKNOWLEDGED}), N.WITHDRAWN, Role.ENTERPRISE, _("撤回")),
])
# The notice is still open: questions, answers, advice and settlement plans are taken.
NOTICE_OPEN = NOTICE["withdraw"].sources

C = Claim.Status
CLAIM = Machine(C, [
    Transition("take", frozenset({C.SUBMITTED, C.RESUBMITTED}), C.UNDER_REVIEW, Role.INSURER, _("开始审核")),
    Transition("request_info", frozenset({C.UNDER_REVIEW, C.RESUBMITTED}), C.INFO_REQUESTED, Role.INSURER,
               _("要求补充材料")),
    Transition("resubmit", frozenset({C.INFO_REQUESTED}), C.RESUBMITTED, Role.ENTERPRISE, _("提交补充材料")),
    Transition("approve", frozenset({C.UNDER_REVIEW, C.RESUBMITTED}), C.APPROVED, Role.INSURER, _("核赔")),
    Transition("reject", frozenset({C.UNDER_REVIEW, C.RESUBMITTED}), C.REJECTED, Role.INSURER, _("拒赔")),
    Transition("pay", frozenset({C.APPROVED}), C.PAID, Role.INSURER, _("登记赔付")),
    Transition("withdraw", frozenset({C.SUBMITTED, C.UNDER_REVIEW, C.INFO_REQUESTED, C.RESUBMITTED}), C.WITHDRAWN,
               Role.ENTERPRISE, _("撤回索赔")),
])
# Before a decision: the enterprise may still withdraw, and documents may still be added.
UNDECIDED = CLAIM["withdraw"].sources
# Counted against the policy year's maximum: approved, whether paid yet or not.
INDEMNIFIED = frozenset({CLAIM["approve"].target, CLAIM["pay"].target})
# Waiting for the insurer (its queue), as opposed to waiting for the enterprise.
AT_INSURER = CLAIM["take"].sources | CLAIM["approve"].sources | frozenset({C.APPROVED})
