"""Helpers for the account tests: registration data, the newest code in the outbox, logging in as a person."""
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import translation

from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.notifications.models import OutboundMessage
from singlewindow.policies.tests.conftest import bound_demo  # noqa: F401 (a fixture, shared from there)

PASSWORD = "Demo@2020"


@pytest.fixture(autouse=True)
def chinese():
    """Services called outside a request speak the thread's language: make it the portal's own."""
    with translation.override("zh-hans"):
        yield


def code_sent_to(recipient):
    """The 6-digit code of the newest outbox message to `recipient` (as a person reads it on the phone)."""
    message = OutboundMessage.objects.filter(recipient=recipient).order_by("-id").first()
    assert message is not None, f"no message to {recipient}"
    return re.search(r"验证码：(\d{6})", message.body).group(1)


@pytest.fixture
def people(db):
    """Our enterprise (its legal person `boss` and an operator `clerk`), another enterprise's legal person
    `rival`, and a single-window operator `sw_admin`. Lighter than the demo `world`, for account tests."""
    from singlewindow.accounts.models import Role, User
    from singlewindow.enterprises.models import Enterprise

    ours = Enterprise.objects.create(uscc=make_uscc("91", "441502", "12345678"), name="汕尾市红海湾进出口贸易有限公司",
                                     region_id="441502", legal_representative="李锐")
    theirs = Enterprise.objects.create(uscc=make_uscc("91", "441521", "87654321"), name="海丰县梅陇工艺品有限公司",
                                       region_id="441521", legal_representative="陈芳")

    def user(username, **fields):
        return User.objects.create_user(username, password=PASSWORD, **fields)

    # These tests read what was sent to whom: the outbox starts empty (the demo world's own messages are
    # deleted inside the test's transaction, which is rolled back).
    from singlewindow.notifications.models import OutboundMessage

    OutboundMessage.objects.all().delete()

    return SimpleNamespace(
        ours=ours, theirs=theirs,
        boss=user("boss", role=Role.ENTERPRISE, enterprise=ours, is_enterprise_admin=True, display_name="李锐",
                  mobile="13729230657", email="boss@example.com"),
        clerk=user("clerk", role=Role.ENTERPRISE, enterprise=ours, display_name="黄静", mobile="13800138001"),
        rival=user("rival", role=Role.ENTERPRISE, enterprise=theirs, is_enterprise_admin=True, display_name="陈芳",
                   mobile="13800138002"),
        sw_admin=user("sw_admin", role=Role.STAFF, display_name="单一窗口管理员"),
    )


@pytest.fixture
def company():
    """What a person types into 立即注册 for a new enterprise."""
    return {
        "uscc": make_uscc("91", "441502", "MA5FXXXX"), "name": "汕尾市品清湖海产有限公司", "region": "441502",
        "legal_representative": "蔡明", "mobile": "13912345678", "email": "caiming@example.com",
        "username": "pinqing", "password": "Tide2024sea", "password2": "Tide2024sea",
    }


@pytest.fixture
def register(client):
    """Walk 立即注册: the form, then the SMS code read from the outbox. Returns the last response."""

    def walk(data, code=None):
        response = client.post("/register/", data)
        if response.status_code != 302:
            return response
        return client.post("/account/register/verify/", {"code": code or code_sent_to(data["mobile"]),
                                                          "action": "verify"})

    return walk


@pytest.fixture
def login_as():
    """A fresh browser-like client logged in through the login page (axes sees a request)."""

    def login(username, password=PASSWORD, ip="127.0.0.1"):
        browser = Client(REMOTE_ADDR=ip)
        response = browser.post("/login/", {"username": username, "password": password})
        assert response.status_code == 302, response.content.decode()[:2000]
        return browser

    return login
