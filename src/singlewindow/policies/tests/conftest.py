"""Helpers for the HTTP-level tests: bound enterprise users, a confirmed policy, page text.

The tests of other apps import the fixtures they need from here in their own conftest.py
(`from singlewindow.policies.tests.conftest import bound_demo`); helpers are imported by the test modules.
"""
import re
from contextlib import contextmanager
from decimal import Decimal
from html import unescape
from unittest import mock

import pytest
from django.test import Client

from singlewindow.accounts import services as accounts
from singlewindow.accounts.models import Role, User
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.policies import services
from singlewindow.policies.models import PolicyStatus, Scheme

LOCAL_ACCOUNT = {"username": "swdemo", "password": "Local@2020"}
OUTSIDER_ACCOUNT = {"username": "mldemo", "password": "Local2020x"}
CONTACT = {"contact_name": "李锐", "contact_phone": "13729230657", "contact_email": "lirui@example.com"}


def page_text(response):
    """What a reader sees: the HTML without tags and with whitespace runs collapsed to one space."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@contextmanager
def at(moment):
    """Freeze the clock at `moment` for code that reads it itself (the calendar jobs, services called without `now`)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def confirm_data(policy, **overrides):
    """A valid 确认投保 POST: contacts plus the hash of the agreement the page showed."""
    return {**CONTACT, "agreement_sha256": policy.scheme.agreement.sha256, **overrides}


def confirm_as(user, policy):
    return services.confirm(user, policy.pk, **confirm_data(policy), ip="127.0.0.1")


@pytest.fixture
def bound_demo(world):
    """demo after 老用户账号绑定 with its enterprise's local account swdemo."""
    accounts.bind_existing(world.demo, **LOCAL_ACCOUNT)
    return world.demo


@pytest.fixture
def bound_colleague(world, bound_demo):
    """Another user of demo's enterprise, bound to the same local account."""
    accounts.bind_existing(world.colleague, **LOCAL_ACCOUNT)
    return world.colleague


@pytest.fixture
def outsiders(world):
    """demo2 and a colleague of demo2's enterprise (another enterprise than demo's), both bound."""
    accounts.quick_register(world.demo2, **OUTSIDER_ACCOUNT, contact_name="陈芳", contact_phone="13800138002")
    other = User.objects.create_user(
        "demo2_colleague", password="Demo@2020", role=Role.ENTERPRISE, enterprise=world.demo2.enterprise,
    )
    accounts.bind_existing(other, **OUTSIDER_ACCOUNT)
    return [world.demo2, other]


@pytest.fixture
def client_for(db):
    """A fresh browser session logged in as `user`, for tests where two parties take turns."""

    def make(user):
        browser = Client()
        browser.force_login(user)
        return browser

    return make


@pytest.fixture
def demo_client(client, bound_demo):
    client.force_login(bound_demo)
    return client


@pytest.fixture
def insurer_client(client, world):
    client.force_login(world.insurer)
    return client


@pytest.fixture
def confirmed(world):
    """demo's policy after 确认投保 (审批中), made through the service."""
    policy = confirm_as(world.demo, world.pending)
    assert policy.status == PolicyStatus.CONFIRMED
    return refreshed(world.pending)


@pytest.fixture
def guangzhou_policy(world):
    """A 待确认 policy of the 广州 branch (other_insurer) for an enterprise in 荔湾区: outside 粤东's area."""
    scheme = Scheme.objects.get(pk=world.scheme.pk)
    scheme.pk, scheme.name, scheme.region_id = None, "广州市小微企业出口信用保险统保方案", "440100"
    scheme.insurer_branch = world.other_insurer.insurer_branch
    scheme.save()
    enterprise = Enterprise.objects.create(
        uscc=make_uscc("91", "440103", "87654321"), name="广州市荔湾示例外贸有限公司", region_id="440103",
    )
    ExportRecord.objects.create(enterprise=enterprise, year=scheme.basis_year, export_usd=Decimal(880000))
    return services.issue(world.other_insurer, scheme.pk, enterprise.pk, ip="127.0.0.1")


# --- free text the one text rule (validators.no_markup) refuses -------------------------------------------

REFUSED_MESSAGES = ("不能包含 < > 等标记、控制字符或文字方向控制符。", "不能以 = + - @ 等公式符号开头。",
                    "不允许是用空字符串。")  # the last is Django's own for NUL, shown next to ours
MARKUP = ["<", ">", "&#", "javascript:", "JavaScript:"]
CONTROLS = [chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
BIDI = ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
FORMULA_SIGNS = ["=", "+", "-", "@"]  # tab and CR prefixes are whitespace the forms strip first


def refused_texts(max_size=20):
    """Text with a refused character inside (where no stripping can remove it), or opening with a formula sign.

    Lone surrogates are left out: they cannot travel in a UTF-8 request body."""
    from hypothesis import strategies as st

    plain = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=max_size)
    inside = st.builds(lambda a, bad, b: f"甲{a}{bad}{b}乙", plain, st.sampled_from(MARKUP + CONTROLS + BIDI), plain)
    leading = st.builds(lambda pad, sign, rest: f"{pad}{sign}{rest}乙", st.sampled_from(["", " ", "  "]),
                        st.sampled_from(FORMULA_SIGNS), plain)
    return st.one_of(inside, leading)


def refusal_on(form, field):
    """The refused-text messages the form shows on `field` (empty if it shows none)."""
    return [m for m in form.errors.get(field, []) if m in REFUSED_MESSAGES]
