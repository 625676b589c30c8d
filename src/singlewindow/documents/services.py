"""Making a policy's documents: one function per series (the 电子保单, a confirmation's 确认回执), each one
transaction that locks the policy, compares what the document would state with the current version, and only
on a change renders, signs and keeps a new version, supersedes the old one and writes the audit event.

Called by the job (tasks.generate_documents), queued after commit when a policy is confirmed, takes effect or is
cancelled (policy_changed), and by `manage.py generate_documents` for what is missing. Running either twice
changes nothing.
"""
import logging
import secrets
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from singlewindow.audit.services import record
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus

from . import render, signing, storage
from .models import Kind, PolicyDocument

log = logging.getLogger(__name__)

# A policy has an 电子保单 once it has taken effect: while in force, after its cover ended, and (a new version
# saying so) once cancelled after taking effect.
DOCUMENTED = frozenset({PolicyStatus.EFFECTIVE, PolicyStatus.EXPIRED})
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread
CODE_LENGTH = 8


class Reason:
    """Why a version was made (PolicyDocument.reason keeps the source string; pages translate it)."""

    EFFECTIVE = _("保单生效")
    CONFIRMED = _("确认投保")
    CANCELLED = _("保单撤销")
    CORRECTED = _("保单信息更正")
    REISSUED = _("原文件缺失，重新生成")


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def policy_changed(policy_id):
    """Queue the documents job for `policy_id` once the caller's transaction commits (at once outside one). A
    failure to queue is logged, never the caller's: `manage.py generate_documents` makes what is missing."""
    if settings.SW_DOCUMENTS_ON_COMMIT:
        transaction.on_commit(partial(_enqueue, policy_id), robust=True)


def _enqueue(policy_id):
    from .tasks import generate_documents

    generate_documents.enqueue(policy_id)


def _locked_policy(policy_id):
    return (Policy.objects.select_for_update(of=("self",))
            .select_related("scheme__insurer_branch", "enterprise").get(pk=policy_id))


def _make(policy, kind, facts, *, reason, current, confirmation=None, now=None):
    """Render, sign and keep a new version of the series whose current version is `current` (or None); the
    caller holds the policy's lock in its transaction."""
    now = now or timezone.now()
    series = PolicyDocument.objects.filter(policy=policy, kind=kind, confirmation=confirmation)
    version = (series.aggregate(top=Max("version"))["top"] or 0) + 1
    code = new_code()
    while PolicyDocument.objects.filter(code=code).exists():  # 32^8 codes: a clash is rare, and refused by the index
        code = new_code()
    signer = signing.signer_for(policy.scheme.insurer_branch)
    unsigned = render.pdf(facts, version=version, code=code, generated_at=now)
    signed = signing.sign(unsigned, signer, reason=str(_("电子保单签章") if kind == Kind.POLICY else _("确认回执签章")))
    stored_name, sha256 = storage.write(signed)
    try:
        if current is not None:
            PolicyDocument.objects.filter(pk=current.pk).update(superseded_at=now)
        document = PolicyDocument.objects.create(
            policy=policy, kind=kind, confirmation=confirmation, version=version, reason=str(reason),
            facts_sha256=render.digest(facts), stored_name=stored_name, size=len(signed), sha256=sha256, code=code,
            signer_sha256=signer.fingerprint, generated_at=now,
        )
        if current is not None:
            PolicyDocument.objects.filter(pk=current.pk).update(superseded_by=document)
        record(actor=None, action=f"document.{kind}", obj=document, reason=str(reason), at=now, data={
            "policy": policy.number, "version": version, "sha256": sha256,
            "supersedes": current.pk if current is not None else None,
            "confirmation": confirmation.pk if confirmation is not None else None,
        })
    except Exception:
        storage.discard(stored_name)
        raise
    log.info("%s of policy %s: version %s (%s)", kind, policy.number, version, reason)
    return document


def _needs_new(current, facts_sha256):
    """The reason for a new version of a series whose current version is `current`, or None when it still holds."""
    if current is None:
        return True
    if current.facts_sha256 != facts_sha256:
        return True
    return not storage.exists(current.stored_name)


def ensure_policy_document(policy_id, *, now=None):
    """The policy's current 电子保单, made or remade when what it states changed (or its file is gone).
    Returns (document or None, made): None for a policy that never took effect."""
    with transaction.atomic():
        policy = _locked_policy(policy_id)
        current = (PolicyDocument.objects.select_for_update(of=("self",))
                   .filter(policy=policy, kind=Kind.POLICY).current().first())
        if policy.status not in DOCUMENTED and not (current and policy.status == PolicyStatus.CANCELLED):
            return current, False
        facts = render.policy_facts(policy)
        digest = render.digest(facts)
        if not _needs_new(current, digest):
            return current, False
        if current is None:
            reason = Reason.EFFECTIVE
        elif current.facts_sha256 == digest:
            reason = Reason.REISSUED
        elif policy.status == PolicyStatus.CANCELLED:
            reason = Reason.CANCELLED
        else:
            reason = Reason.CORRECTED
        return _make(policy, Kind.POLICY, facts, reason=reason, current=current, now=now), True


def ensure_receipts(policy_id, *, now=None):
    """A 确认回执 for each confirmation of the policy that has none (or whose file is gone). Returns how many
    were made. A confirmation is a record of the past: its receipt changes only when its text would."""
    made = []
    try:
        _receipts(policy_id, made, now)
    except Exception:  # the rows are rolled back: so are the files already written
        for document in made:
            storage.discard(document.stored_name)
        raise
    return len(made)


def _receipts(policy_id, made, now):
    with transaction.atomic():
        policy = _locked_policy(policy_id)
        confirmations = (Confirmation.objects.filter(policy=policy).select_related("user", "agreement")
                         .order_by("at", "id"))
        currents = {document.confirmation_id: document for document in PolicyDocument.objects.filter(
            policy=policy, kind=Kind.RECEIPT).current()}
        for confirmation in confirmations:
            confirmation.policy = policy
            current = currents.get(confirmation.pk)
            facts = render.receipt_facts(confirmation)
            digest = render.digest(facts)
            if not _needs_new(current, digest):
                continue
            reason = Reason.CONFIRMED if current is None else (
                Reason.REISSUED if current.facts_sha256 == digest else Reason.CORRECTED)
            made.append(_make(policy, Kind.RECEIPT, facts, reason=reason, current=current,
                              confirmation=confirmation, now=now))


def generate_for(policy_id):
    """Everything the policy should have: its 电子保单 (when it took effect) and its 确认回执. Returns how many
    documents were made."""
    _document, made = ensure_policy_document(policy_id)
    return int(made) + ensure_receipts(policy_id)
