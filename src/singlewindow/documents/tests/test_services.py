"""Making the documents: when a policy takes effect (a job queued after commit), only on a change, every earlier
version kept and marked superseded, a 确认回执 per confirmation, and the command that fills what is missing."""
import io

import pytest
from django.core.management import call_command

from singlewindow.audit.models import AuditEvent
from singlewindow.documents import services, storage
from singlewindow.documents.models import Kind, PolicyDocument
from singlewindow.enterprises.models import Enterprise
from singlewindow.policies import services as policies
from singlewindow.policies.models import Policy

from .conftest import confirm_as, make_effective


def ours(callbacks):
    """The documents job's own after-commit callbacks (other apps queue theirs: webhooks, eligibility)."""
    return [c for c in callbacks if getattr(c, "func", c).__module__.startswith("singlewindow.documents")]


def test_approval_queues_the_job_after_commit_and_it_makes_the_signed_policy_and_the_receipt(
        world, settings, django_capture_on_commit_callbacks):
    settings.SW_DOCUMENTS_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=False) as confirmed:
        confirm_as(world.demo, world.pending)
    assert len(ours(confirmed)) == 1 and not PolicyDocument.objects.filter(policy=world.pending).exists()  # not before
    with django_capture_on_commit_callbacks(execute=True):
        policies.approve(world.insurer, world.pending.pk)
    documents = PolicyDocument.objects.filter(policy=world.pending)
    assert sorted(documents.values_list("kind", "version")) == [(Kind.POLICY, 1), (Kind.RECEIPT, 1)]
    policy_document = documents.get(kind=Kind.POLICY)
    assert policy_document.reason == str(services.Reason.EFFECTIVE) and policy_document.is_current
    data = storage.path_of(policy_document.stored_name).read_bytes()
    assert data.startswith(b"%PDF-") and policy_document.size == len(data)
    import hashlib
    assert hashlib.sha256(data).hexdigest() == policy_document.sha256
    assert (storage.path_of(policy_document.stored_name).stat().st_mode & 0o777) == 0o600
    assert AuditEvent.objects.filter(action="document.policy", object_id=str(policy_document.pk)).exists()


def test_nothing_is_queued_when_the_setting_is_off(world, settings, django_capture_on_commit_callbacks):
    settings.SW_DOCUMENTS_ON_COMMIT = False
    with django_capture_on_commit_callbacks() as callbacks:
        confirm_as(world.demo, world.pending)
    assert ours(callbacks) == []


def test_a_policy_that_has_not_taken_effect_has_no_policy_document(world):
    confirm_as(world.demo, world.pending)
    assert services.ensure_policy_document(world.pending.pk) == (None, False)
    assert services.ensure_receipts(world.pending.pk) == 1  # but its confirmation has a receipt
    assert services.ensure_receipts(world.pending.pk) == 0


def test_making_it_again_without_a_change_makes_nothing(documented):
    again, made = services.ensure_policy_document(documented.policy.pk)
    assert (again, made) == (documented.document, False)
    assert PolicyDocument.objects.filter(policy=documented.policy, kind=Kind.POLICY).count() == 1


def test_a_correction_makes_version_2_and_version_1_stays_as_superseded(documented):
    Enterprise.objects.filter(pk=documented.policy.enterprise_id).update(name="汕尾市红海湾进出口贸易股份有限公司")
    second, made = services.ensure_policy_document(documented.policy.pk)
    first = PolicyDocument.objects.get(pk=documented.document.pk)
    assert made and second.version == 2 and second.reason == str(services.Reason.CORRECTED)
    assert first.superseded_by == second and first.superseded_at == second.generated_at and not first.is_current
    assert storage.exists(first.stored_name) and first.sha256 != second.sha256 and first.code != second.code
    assert list(PolicyDocument.objects.filter(policy=documented.policy, kind=Kind.POLICY).current()) == [second]


def test_a_lost_file_is_made_again_as_a_new_version(documented):
    storage.path_of(documented.document.stored_name).unlink()
    second, made = services.ensure_policy_document(documented.policy.pk)
    assert made and second.version == 2 and second.reason == str(services.Reason.REISSUED)


def test_a_cancelled_policy_that_had_a_document_gets_a_version_saying_so(documented):
    # No transition leads from 已生效 to 已撤销 today; should one come, the job makes this version.
    Policy.objects.filter(pk=documented.policy.pk).update(status="cancelled", last_reason="企业已注销。")
    second, made = services.ensure_policy_document(documented.policy.pk)
    assert made and second.reason == str(services.Reason.CANCELLED) and second.version == 2


def test_each_confirmation_gets_its_own_receipt(world):
    confirm_as(world.demo2, world.returned)  # demo2's policy was returned once: a second confirmation now
    assert world.returned.confirmations.count() == 2
    assert services.ensure_receipts(world.returned.pk) == 2
    receipts = PolicyDocument.objects.filter(policy=world.returned, kind=Kind.RECEIPT)
    assert sorted(receipts.values_list("confirmation_id", flat=True)) == sorted(
        world.returned.confirmations.values_list("pk", flat=True))


def test_the_command_makes_what_is_missing_once(world):
    policy = make_effective(world)
    out = io.StringIO()
    call_command("generate_documents", policy=[policy.number], stdout=out)
    assert "1 policies checked, 2 documents generated, 0 failed" in out.getvalue()
    out = io.StringIO()
    call_command("generate_documents", policy=[policy.number], stdout=out)
    assert "0 documents generated" in out.getvalue()


@pytest.mark.parametrize("role", ["enterprise", "other_enterprise", "insurer", "other_insurer", "bureau", "admin"])
def test_who_sees_the_documents(documented, world, role):
    user = {"enterprise": world.demo, "other_enterprise": world.demo2, "insurer": world.insurer,
            "other_insurer": world.other_insurer, "bureau": world.bureau, "admin": world.admin}[role]
    visible = PolicyDocument.objects.visible_to(user).filter(pk=documented.document.pk).exists()
    assert visible == (role in {"enterprise", "insurer"})
