"""批量出单 (batch issuance) and 申领 (an enterprise's application): the services and the worker's task.
Their pages are in issuance_views.py.

Batch issuance walks the eligible enterprises (enterprises/eligibility.py) in chunks of CHUNK, in
enterprise-id order. Each chunk is one transaction: the policies, their audit events and notices, the
closed applications and the run's progress commit together, so a crash loses at most the chunk in
flight. Running again resumes: whoever already holds a policy is no longer eligible, so nothing is
issued twice (and the unique policy numbers would refuse it anyway).
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from singlewindow import bulk
from singlewindow.accounts.models import Role
from singlewindow.accounts.scopes import enterprise_scope
from singlewindow.audit.services import record
from singlewindow.enterprises import eligibility
from singlewindow.machines import Refused

from . import services
from .models import Application, IssuanceRun, JobStatus, Policy, Scheme
from .transitions import APPLICATION, ISSUANCE_RUN, ISSUANCE_STALENESS

log = logging.getLogger(__name__)
CHUNK = 10_000


# --- batch issuance -----------------------------------------------------------------------------------

def todo_records(scheme, actor):
    """Basis-year records of the enterprises still to be issued, within the insurer's service area."""
    return eligibility.eligible_records(scheme).filter(
        enterprise_scope(actor, field="enterprise", region_field="enterprise__region")
    )


def start_issuance(actor, scheme_id, *, ip=None):
    """Start (or resume) the batch for a scheme. Returns (run, started): False when one is already under way."""
    scheme = services.own_scheme(actor, scheme_id)
    services.check_open(scheme)
    with transaction.atomic():
        Scheme.objects.select_for_update().filter(pk=scheme.pk).first()  # one start at a time per scheme
        run = IssuanceRun.objects.filter(scheme=scheme).exclude(status=JobStatus.DONE).order_by("-pk").first()
        if run is None:
            run = IssuanceRun.objects.create(scheme=scheme, started_by=actor)
            action = "issuance.start"
        elif resume_run(run.pk):
            action = "issuance.resume"
        else:
            return run, False  # under way (queued, or running with a live worker)
        record(actor=actor, action=action, obj=run, ip=ip, data={"scheme": scheme.pk})
    run_issuance.enqueue(run.pk)
    run.refresh_from_db()
    return run, True


def is_stale(run):
    """Running with no progress for SW_ISSUANCE_STALE: its worker is gone (the rule: ISSUANCE_STALENESS)."""
    return ISSUANCE_STALENESS.of(run)


# --- the run's moves (ISSUANCE_RUN): each a conditional UPDATE, True when this caller made it ----------

def _move_run(run_id, action, *, when=None, **fields):
    return ISSUANCE_RUN.try_move(IssuanceRun.objects.all(), run_id, action, when=when, **fields)


def begin_run(run_id, *, remaining):
    """queued → running: a worker takes the run; `remaining` enterprises are still to be issued."""
    now = timezone.now()
    return _move_run(run_id, "begin", started_at=Coalesce(F("started_at"), now), heartbeat=now,
                     total=F("issued") + remaining)


def finish_run(run_id):
    now = timezone.now()
    return _move_run(run_id, "finish", finished_at=now, heartbeat=now)


def fail_run(run_id, error):
    return _move_run(run_id, "fail", error=str(error)[:1000], finished_at=timezone.now())


def resume_run(run_id):
    """failed → queued, or running → queued when it is stale (ISSUANCE_STALENESS: its worker died)."""
    return _move_run(run_id, "resume", when=Q(status=JobStatus.FAILED) | ISSUANCE_STALENESS.condition(),
                     error="", finished_at=None)


@task()
def run_issuance(run_id):
    run = IssuanceRun.objects.select_related("scheme__region", "started_by").get(pk=run_id)
    if run.status == JobStatus.DONE:
        return 0
    try:
        return issue_all(run)
    except Exception as error:  # leave the run resumable and say why it stopped
        log.exception("issuance run %s failed", run_id)
        fail_run(run_id, f"{type(error).__name__}: {error}")
        raise


def issue_all(run, *, chunk=None):
    """Issue to everyone still eligible, chunk by chunk. Returns how many policies this call issued."""
    chunk = chunk or CHUNK
    scheme, actor = run.scheme, run.started_by
    if not begin_run(run.pk, remaining=todo_records(scheme, actor).count()):
        log.info("issuance run %s: not queued any more, another worker has it", run.pk)
        return 0
    todo = todo_records(scheme, actor).order_by("enterprise_id").values_list("enterprise_id", "export_usd")
    answered = Application.objects.filter(  # 申领 of this scheme whose enterprise now holds its policy
        scheme=scheme, status__in=APPLICATION["issue"].sources, enterprise__policies__scheme=scheme,
    )
    issued, last = 0, 0
    while True:
        with transaction.atomic():
            bulk.commit_without_waiting()  # a crash loses whole chunks; the run resumes from what was kept
            Scheme.objects.select_for_update().filter(pk=scheme.pk).first()  # two workers never interleave
            rows = list(todo.filter(enterprise_id__gt=last).extra(where=[AFTER], params=[last])[:chunk])
            if not rows:
                break
            services.issue_many(actor, scheme, rows)
            Application.objects.filter(pk__in=answered.values("pk")).update(
                status=APPLICATION["issue"].target, policy=Subquery(
                    Policy.objects.filter(scheme=scheme, enterprise=OuterRef("enterprise")).values("pk")[:1]
                ))
            IssuanceRun.objects.filter(pk=run.pk).update(issued=F("issued") + len(rows), heartbeat=timezone.now())
        issued += len(rows)
        last = rows[-1][0]
    if not finish_run(run.pk):  # resumed meanwhile (its heartbeat was late): the newer worker finishes it
        log.warning("issuance run %s: finished by a worker that no longer held it", run.pk)
    log.info("issuance run %s: %s policies issued under scheme %s", run.pk, issued, scheme.pk)
    return issued


# The same bound on the joined enterprise: the planner does not carry `enterprise_id > n` across the
# join, and without it each chunk walks the enterprises from the first (the ORM drops a filter on
# enterprise__id in favour of the record's own column).
AFTER = '"enterprises_enterprise"."id" > %s'


# --- 申领 ---------------------------------------------------------------------------------------------

def apply(actor, scheme_id, *, ip=None):
    """An eligible enterprise without a policy asks for one; the insurer's workbench shows it."""
    if getattr(actor, "role", None) != Role.ENTERPRISE or not actor.enterprise_id:
        raise PermissionDenied
    enterprise = actor.enterprise
    scheme = eligibility.open_schemes().filter(pk=scheme_id).first()
    if scheme is None:
        raise ValidationError(_("该投保方案不存在或已截止申领。"))
    verdict = eligibility.explain(enterprise, scheme)
    if not verdict.eligible:
        raise ValidationError(verdict.message)
    with transaction.atomic():
        application, created = Application.objects.get_or_create(
            scheme=scheme, enterprise=enterprise, defaults={"applicant": actor, "created_at": timezone.now()},
        )
        if not created:
            raise Refused("already", _("贵企业已于 %(date)s 提交申领，请等待保险公司出单。") % {
                "date": timezone.localtime(application.created_at).strftime("%Y-%m-%d %H:%M")})
        record(actor=actor, action="application.submit", obj=application, to_status=application.status, ip=ip,
               data={"scheme": scheme.pk})
    return application


def issue_application(actor, application_id, *, ip=None):
    """出单 on an application: the usual 待确认 policy, and the application is closed with it."""
    if getattr(actor, "role", None) != Role.INSURER:
        raise PermissionDenied
    application = Application.objects.visible_to(actor).select_related("scheme", "enterprise__region").filter(
        pk=application_id).first()
    if application is None:
        raise Application.DoesNotExist
    with transaction.atomic():
        if not APPLICATION.try_move(Application.objects.all(), application.pk, "issue"):
            raise Refused("already", _("该申领已处理，无需重复出单。"))
        # services.issue checks eligibility by the batch's rule and refuses (rolling this back) if it fails
        policy = services.issue(actor, application.scheme_id, application.enterprise_id, ip=ip)
        Application.objects.filter(pk=application.pk).update(policy=policy)
    return policy
