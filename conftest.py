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
    from singlewindow.accounts.models import Role, User
    from singlewindow.policies.models import InsurerBranch, Policy, PolicyStatus, Scheme
    from singlewindow.regions.models import Region

    call_command("load_demo", enterprises=12, quiet_logins=True, stdout=io.StringIO())
    demo = User.objects.get(username="demo")
    demo2 = User.objects.get(username="demo2")
    colleague = User.objects.create_user(
        "demo_colleague", password="Demo@2020", role=Role.ENTERPRISE, enterprise=demo.enterprise,
    )
    other_branch = InsurerBranch.objects.create(code="GZ", name="中国信保广州营业管理部")
    other_branch.regions.set([Region.objects.get(pk="440100")])
    other_insurer = User.objects.create_user(
        "insurer_gz", password="Insurer@2020", role=Role.INSURER, insurer_branch=other_branch,
    )
    scheme = Scheme.objects.get(year__gt=2020)
    return SimpleNamespace(
        demo=demo, demo2=demo2, colleague=colleague,
        insurer=User.objects.get(username="insurer"), other_insurer=other_insurer,
        bureau=User.objects.get(username="bureau"), county=User.objects.get(username="county"),
        admin=User.objects.get(username="admin"), scheme=scheme,
        pending=Policy.objects.get(scheme=scheme, enterprise=demo.enterprise, status=PolicyStatus.PENDING),
        returned=Policy.objects.get(scheme=scheme, enterprise=demo2.enterprise, status=PolicyStatus.RETURNED),
    )


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def live_world(transactional_db):
    from singlewindow.regions.models import Region

    # A transactional test ends with a flush that also empties the regions loaded by a data migration.
    # (Serialized rollback cannot restore them: once Playwright runs an event loop in this thread, Django
    # hands out a fresh connection that never saw the serialized copy.)
    if not Region.objects.exists():
        call_command("loaddata", "guangdong", verbosity=0)
    return build_world()


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
