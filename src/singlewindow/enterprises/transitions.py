"""The import job's state machine (DESIGN.md §4): the one table its moves go through, as policies/transitions.py.

    queued ──start──▶ running ──finish──▶ done
                         └────reject──▶ rejected   (a bad row: nothing written)
    queued, running ──fail──▶ failed               (the worker hit an unexpected error)
    queued, running ──give_up──▶ failed            (stale: no sign of life, see STALENESS)

Each move is one conditional UPDATE on its source statuses (Machine.move), so the worker and
mark_stale_imports() never both move one job. A worker that was only slow, not dead, may find its job
failed as stale when its merge has committed: it still ends the job as what it did (finish and reject
start from failed too), since the figures are written and the page must say so. See
docs/decisions/0025-import-jobs-heartbeat.md.
"""
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role
from singlewindow.heartbeats import Staleness
from singlewindow.machines import Machine, Transition

from .models import ImportJob, Publication

S = ImportJob.Status
BUSY = frozenset({S.QUEUED, S.RUNNING})  # a worker may still move the job on
FINISHED = frozenset({S.DONE, S.REJECTED, S.FAILED})

IMPORT_JOB = Machine(
    S,
    [
        Transition("start", frozenset({S.QUEUED}), S.RUNNING),  # a worker takes the job
        Transition("finish", frozenset({S.RUNNING, S.FAILED}), S.DONE),  # every row good: written
        Transition("reject", frozenset({S.RUNNING, S.FAILED}), S.REJECTED),  # a bad row: nothing written
        Transition("fail", BUSY, S.FAILED),  # the worker hit an error it did not expect
        Transition("give_up", BUSY, S.FAILED),  # stale: no sign of life (STALENESS), the worker is gone
    ],
)
MOVES = IMPORT_JOB.transitions

# Busy with no sign of life for SW_IMPORT_STALE: the worker died (or none runs). The merge writes no
# progress for as long as it takes, hence the generous limit. Nothing was written then: the merge is one
# transaction, rolled back with the worker's connection.
STALENESS = Staleness(BUSY, ("heartbeat", "started_at", "created_at"), lambda: settings.SW_IMPORT_STALE)


def _jobs():
    return ImportJob.objects.all()


def start(job_id, now):
    """queued → running: a worker takes the job. Refused when it is no longer queued (failed as stale)."""
    return IMPORT_JOB.move(_jobs(), job_id, "start", started_at=now, heartbeat=now, phase=ImportJob.Phase.READ)


def end(job_id, now, *, clean, **results):
    """running → done when no row was bad (`clean`), else → rejected; `results` are the job's counts."""
    action = "finish" if clean else "reject"
    return IMPORT_JOB.move(_jobs(), job_id, action, finished_at=now, heartbeat=now, percent=100, phase="", **results)


def fail(job_id, now, message):
    """queued or running → failed: the worker hit an error it did not expect. Refused once the job has ended."""
    return IMPORT_JOB.move(_jobs(), job_id, "fail", finished_at=now, heartbeat=now, message=message)


def give_up(job_id, now):
    """A stale job → failed, with the message its page shows. Refused when the job has moved on since
    it was found stale (its worker beat again, or it ended)."""
    return IMPORT_JOB.move(ImportJob.objects.stale(now), job_id, "give_up", finished_at=now,
                           message=ImportJob.STALE_MESSAGE)


# 名单公示 (enterprises/publication.py): published → confirmed by the bureau once the period is over and every
# objection answered; published → withdrawn with a reason. Publishing creates the list in "published".
P = Publication.Status
PUBLICATION = Machine(P, [
    Transition("confirm", frozenset({P.PUBLISHED}), P.CONFIRMED, Role.BUREAU, _("确认名单")),
    Transition("withdraw", frozenset({P.PUBLISHED}), P.WITHDRAWN, Role.BUREAU, _("撤回公示")),
])
