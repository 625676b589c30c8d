"""The card's state machine (DESIGN.md §4), in the form of policies/transitions.py: a card is issued 有效
(a creation, not a move) and 注销 (revoked, for 挂失 or a holder who left) once; nothing brings it back.
Unlocking a card locked by wrong PINs changes the card file's counter, not the card's status."""
from django.utils.translation import gettext_lazy as _

from singlewindow.machines import Machine, Transition

from .models import CardStatus as S

CARD = Machine(S, [
    Transition("revoke", frozenset({S.ACTIVE}), S.REVOKED, None, _("注销")),  # the authority (a command)
])
# The statuses in which a card may log in and sign.
USABLE = frozenset(S) - {CARD["revoke"].target}
