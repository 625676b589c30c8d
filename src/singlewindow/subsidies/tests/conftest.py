"""The subsidy tests' world: the demo's policies taken into effect through the policy services (so the ledger is
written the way the product writes it), the bureaus that pay (汕尾市 for the city share, a 广东省 bureau for the
province's), an outsider bureau (广州市) and ways to put an application in any status through the services."""
import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from singlewindow.accounts.models import Role, User
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.policies import services as policies
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import client_for, confirm_as  # noqa: F401 (fixtures the tests use)
from singlewindow.subsidies import services
from singlewindow.subsidies.models import FundingApplication
from singlewindow.subsidies.transitions import APPLICATION

_serial = itertools.count(1)
A = FundingApplication.Status


def bureau(username, region, name):
    return User.objects.create_user(username, password="Bureau@2020", role=Role.BUREAU, region_id=region,
                                    display_name=name)


def new_enterprise(region="441521", exports=Decimal(880000)):
    """An eligible enterprise without a policy (its organisation code from a counter of its own)."""
    enterprise = Enterprise.objects.create(
        uscc=make_uscc("91", region, f"{77_000_000 + next(_serial):08d}"), name=f"测试外贸有限公司{next(_serial)}",
        region_id=region)
    ExportRecord.objects.create(enterprise=enterprise, year=timezone.localdate().year - 1, export_usd=exports)
    return enterprise


def holder(enterprise):
    """The enterprise's first user (one is made for an enterprise without any)."""
    user = enterprise.users.order_by("pk").first()
    if user is None:
        user = User.objects.create_user(f"e{enterprise.pk}", password="Demo@2020", role=Role.ENTERPRISE,
                                        enterprise=enterprise)
    return user


def take_effect(world, policy):
    """A policy into 已生效 along the policy table, through the services."""
    policy.refresh_from_db()
    if policy.status in (PolicyStatus.PENDING, PolicyStatus.RETURNED):
        confirm_as(holder(policy.enterprise), policy)
    return policies.approve(world.insurer, policy.pk)


@pytest.fixture
def paying(world):
    """The payers of world.scheme (a 汕尾市 scheme): the province bureau for 广东省's share, 汕尾市商务局 (world.bureau)
    for the city's; and an outsider bureau of another city (广州市)."""
    return SimpleNamespace(
        province=bureau("province", "440000", "广东省商务厅"), city=world.bureau,
        other_city=bureau("guangzhou", "440100", "广州市商务局"), county=world.county)


@pytest.fixture
def effective(world):
    """Every 审批中 policy of world.scheme approved by the insurer (through approve_many, as the queue does)."""
    ids = list(Policy.objects.filter(scheme=world.scheme, status=PolicyStatus.CONFIRMED).values_list("pk", flat=True))
    done, refused = policies.approve_many(world.insurer, ids)
    assert done and not refused
    return done


def city_key(world):
    return services.payer_key("city", "441500")


def province_key(world):
    return services.payer_key("province", "440000")


def today():
    return timezone.localdate()


def draft(world, key=None, first=None, last=None):
    """A draft application of world.scheme's city share for the days up to today (every commitment of them)."""
    return services.create_application(world.insurer, scheme_id=world.scheme.pk, payer=city_key(world) if key is None else key,
                                       period_start=first or dt.date(today().year, 1, 1), period_end=last or today())


def budget(world, amount="1000000.00", payer="city", by=None):
    return services.save_budget(by or world.bureau, world.scheme.pk, payer, amount)


def act(world, application, action, by=None):
    """Each action of the application table, done as its page does it (the payer's bureau for the bureau's)."""
    insurer, bureau_user = world.insurer, by or world.bureau
    if action == "submit":
        application.refresh_from_db()
        if application.status in (A.DRAFT, A.RETURNED):
            services.fill_invoices(insurer, application.pk, "INV-2026-0001")
        return services.submit(insurer, application.pk)
    if action == "withdraw":
        return services.withdraw(insurer, application.pk)
    if action == "return":
        return services.return_application(bureau_user, application.pk, reason="发票号码与保单不符，请核对。")
    if action == "approve":
        return services.approve(bureau_user, application.pk)
    if action == "pay":
        application.refresh_from_db()
        return services.record_payment(bureau_user, application.pk, paid_on=today(), amount=application.total,
                                       reference="GK-2026-0001")
    if action == "reconcile":
        return services.reconcile(bureau_user, application.pk)
    raise AssertionError(action)


def application_in(world, status, **draft_options):
    """An application of world.scheme's city share put in `status` along the table's shortest path."""
    application = draft(world, **draft_options)
    for action in APPLICATION.path(A.DRAFT, status):
        act(world, application, action)
    application.refresh_from_db()
    return application


@pytest.fixture
def with_budget(world, effective):
    return budget(world)
