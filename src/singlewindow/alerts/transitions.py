"""The alert's state machine (DESIGN.md §4): the one table alerts/services.py moves along and the tests walk."""
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.machines import Machine, Transition

from .models import Alert

S = Alert.Status

ALERT = Machine(S, [
    Transition("publish", frozenset({S.DRAFT}), S.PUBLISHED, Role.INSURER, _("发布")),
    Transition("withdraw", frozenset({S.PUBLISHED}), S.WITHDRAWN, Role.INSURER, _("撤回")),
])
