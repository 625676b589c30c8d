"""Shared fixtures: the demo world with an owner, a colleague and an outsider for every party."""
import io
import os
from types import SimpleNamespace

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in the test thread; the ORM calls around it are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def build_world():
    """The demo (12 enterprises, every policy status, cards, accounts) plus a colleague of the demo enterprise
    and a second insurer branch: an owner, a colleague and an outsider for every party."""
    from singlewindow.accounts.models import Role, User
    from singlewindow.policies.models import InsurerBranch
    from singlewindow.regions.models import Region

    call_command("load_demo", enterprises=12, quiet_logins=True, stdout=io.StringIO())
    demo = User.objects.get(username="demo")
    User.objects.create_user(
        "demo_colleague", password="Demo@2020", role=Role.ENTERPRISE, enterprise=demo.enterprise,
    )
    other_branch = InsurerBranch.objects.create(code="GZ", name="中国信保广州营业管理部")
    other_branch.regions.set([Region.objects.get(pk="440100")])
    User.objects.create_user(
        "insurer_gz", password="Insurer@2020", role=Role.INSURER, insurer_branch=other_branch,
    )
    return find_world()


def find_world():
    """The world's people and records, fetched fresh (a test may change them; its transaction is rolled back)."""
    from singlewindow.accounts.models import User
    from singlewindow.policies.models import Policy, PolicyStatus, Scheme

    users = {user.username: user for user in User.objects.filter(username__in=[
        "demo", "demo2", "demo_colleague", "insurer", "insurer_gz", "bureau", "county", "admin"])}
    if len(users) < 8:
        return None
    scheme = Scheme.objects.get(year__gt=2020)
    return SimpleNamespace(
        demo=users["demo"], demo2=users["demo2"], colleague=users["demo_colleague"],
        insurer=users["insurer"], other_insurer=users["insurer_gz"],
        bureau=users["bureau"], county=users["county"], admin=users["admin"], scheme=scheme,
        pending=Policy.objects.get(scheme=scheme, enterprise=users["demo"].enterprise_id, status=PolicyStatus.PENDING),
        returned=Policy.objects.get(scheme=scheme, enterprise=users["demo2"].enterprise_id,
                                    status=PolicyStatus.RETURNED),
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The world is built once per run into the test database (about 800 queries); every `db` test then runs
    inside a transaction that is rolled back, so each starts from the same world. pytest-django runs the
    transactional tests (browser, concurrency) after all of them: their flush empties the database, and
    `world` or `live_world` builds it again where it is missing."""
    with django_db_blocker.unblock():
        build_world()


@pytest.fixture
def world(db):
    return find_world() or build_world()


@pytest.fixture
def live_world(transactional_db):
    from singlewindow.regions.models import Region

    # A transactional test ends with a flush that also empties the regions loaded by a data migration.
    # (Serialized rollback cannot restore them: once Playwright runs an event loop in this thread, Django
    # hands out a fresh connection that never saw the serialized copy.)
    if not Region.objects.exists():
        call_command("loaddata", "guangdong", verbosity=0)
    from singlewindow.claims import iso
    from singlewindow.claims.models import Country

    if not Country.objects.exists():  # the same for ISO 3166-1
        iso.load_countries()
    return find_world() or build_world()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "headless": True,
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the portal's language: a request in English must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: a rate limit counted by one test must not refuse the next."""
    from django.core.cache import cache

    cache.clear()
