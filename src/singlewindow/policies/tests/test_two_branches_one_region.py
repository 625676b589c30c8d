"""Two insurer branches serving one region (InsurerBranch.regions is many-to-many): each sees the region's
enterprises, but decides only the policies, applications and batch runs of its own schemes (decision 0020)."""
import pytest
from django.utils import timezone

from singlewindow.accounts.models import Role, User
from singlewindow.enterprises.models import Enterprise, ImportJob
from singlewindow.policies import services
from singlewindow.policies.models import Application, InsurerBranch, IssuanceRun, Policy, PolicyStatus, Scheme
from singlewindow.regions.models import Region

from .conftest import confirm_as, refreshed


@pytest.fixture
def rival(world):
    """A second branch serving 汕尾市 as 粤东 does, with a scheme of its own there."""
    branch = InsurerBranch.objects.create(code="SW2", name="另一承保机构汕尾分支")
    branch.regions.set([Region.objects.get(pk="441500")])
    insurer = User.objects.create_user("insurer_sw2", password="Insurer@2020", role=Role.INSURER,
                                       insurer_branch=branch)
    scheme = Scheme.objects.get(pk=world.scheme.pk)
    scheme.pk, scheme.name, scheme.insurer_branch = None, "另一机构汕尾方案", branch
    scheme.save()
    return insurer, scheme


def test_each_branch_decides_only_its_own_schemes_policies(world, client, rival):
    rival_insurer, _ = rival
    ours = confirm_as(world.demo, world.pending)
    assert Enterprise.objects.visible_to(rival_insurer).filter(pk=world.demo.enterprise_id).exists()
    assert not Policy.objects.visible_to(rival_insurer).filter(pk=ours.pk).exists()
    client.force_login(rival_insurer)
    assert client.get(f"/insurer/{ours.pk}/").status_code == 404
    assert client.post(f"/insurer/{ours.pk}/approve/", {"checked": "1"}).status_code == 404
    assert refreshed(ours).status == PolicyStatus.CONFIRMED
    assert Policy.objects.visible_to(world.insurer).filter(pk=ours.pk).exists()


def test_schemes_runs_and_applications_follow_the_scheme_branch(world, rival):
    rival_insurer, rival_scheme = rival
    assert set(Scheme.objects.visible_to(rival_insurer)) == {rival_scheme}
    assert rival_scheme not in Scheme.objects.visible_to(world.insurer)
    run = IssuanceRun.objects.create(scheme=rival_scheme, started_by=rival_insurer)
    assert list(IssuanceRun.objects.visible_to(rival_insurer)) == [run]
    assert not IssuanceRun.objects.visible_to(world.insurer).filter(pk=run.pk).exists()
    application = Application.objects.create(scheme=rival_scheme, enterprise=world.demo.enterprise,
                                             applicant=world.demo, created_at=timezone.now())
    assert Application.objects.visible_to(rival_insurer).filter(pk=application.pk).exists()
    assert not Application.objects.visible_to(world.insurer).filter(pk=application.pk).exists()
    assert Application.objects.visible_to(world.demo).filter(pk=application.pk).exists()
    assert not Application.objects.visible_to(world.demo2).filter(pk=application.pk).exists()


def test_the_rival_branch_cannot_issue_under_our_scheme(world, rival):
    rival_insurer, _ = rival
    with pytest.raises(Exception, match="请选择本机构承保的方案"):
        services.issue(rival_insurer, world.scheme.pk, world.demo2.enterprise_id, ip="127.0.0.1")


def test_import_jobs_are_the_bureaus_of_their_region_and_nobody_elses(world):
    job = ImportJob.objects.create(region=world.bureau.region, uploaded_by=world.bureau, file_name="x.csv")
    assert ImportJob.objects.visible_to(world.bureau).filter(pk=job.pk).exists()
    assert ImportJob.objects.visible_to(world.admin).filter(pk=job.pk).exists()
    for other in (world.insurer, world.demo, world.other_insurer):
        assert not ImportJob.objects.visible_to(other).exists()
