"""The reminder run's state machine (DESIGN.md §4), as 批量出单's: queued when started; a worker's moves answer
True or False (another worker may have the run), and a failed or stale run is resumed from its keyset."""
import datetime

from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.heartbeats import Staleness
from singlewindow.machines import Machine, Transition

from .models import ReminderRun

S = ReminderRun.Status

RUN = Machine(S, [
    Transition("begin", frozenset({S.QUEUED}), S.RUNNING, None, _("开始发送")),  # a worker takes the run
    Transition("finish", frozenset({S.RUNNING}), S.DONE, None, _("完成")),  # no recipient left
    Transition("fail", frozenset({S.QUEUED, S.RUNNING}), S.FAILED, None, _("中断")),  # the worker hit an error
    # 继续发送: the bureau starts a failed run again, or one whose worker went silent (stale)
    Transition("resume", frozenset({S.FAILED, S.QUEUED, S.RUNNING}), S.QUEUED, Role.BUREAU, _("继续发送")),
])
BUSY = frozenset({S.QUEUED, S.RUNNING})
# Queued or running with no sign of life for STALE: no worker has it (any more). Each chunk beats.
STALE = datetime.timedelta(minutes=5)
STALENESS = Staleness(BUSY, ("heartbeat", "started_at", "created_at"), lambda: STALE)
