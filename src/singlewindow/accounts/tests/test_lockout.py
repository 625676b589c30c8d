"""Lockout (django-axes): an account from one address after 5 failures, an address after 20; the
warning before, the message after; who unlocks."""
import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from singlewindow.audit.models import AuditEvent

from .conftest import PASSWORD

LOCKED = "登录失败次数过多，该账号在当前网络地址的登录（或当前网络地址的全部登录）已被暂时锁定，请15分钟后再试。"
STRANGER, OWNER = "203.0.113.5", "198.51.100.9"


def attempt(username, password="wrong-Pass1", ip="203.0.113.5"):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def lock(username, ip="203.0.113.5"):
    for _ in range(5):
        attempt(username, ip=ip)


def test_five_failures_lock_the_account_from_that_address_with_a_clear_message(people):
    for _ in range(4):
        response = attempt("boss")
        assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    fifth = attempt("boss")
    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()

    right = attempt("boss", PASSWORD)  # the right password, from the same address
    page = right.content.decode()
    assert right.status_code == 429 and LOCKED in page
    assert "忘记密码" in page and "95198" in page
    assert attempt("clerk", PASSWORD).status_code == 302  # other accounts of the address are not locked


@pytest.mark.parametrize("tries", [5, 12, 40])
def test_a_stranger_failing_from_one_address_does_not_lock_the_owner_out_elsewhere(people, tries):
    for _ in range(tries):
        attempt("boss", ip=STRANGER)

    assert attempt("boss", PASSWORD, ip=STRANGER).status_code == 429  # the stranger stays locked
    assert attempt("boss", PASSWORD, ip=OWNER).status_code == 302  # the owner logs in from its own address


def test_failures_from_many_addresses_do_not_add_up_to_a_lock_on_the_account(people):
    for n in range(10):
        for _ in range(4):
            attempt("boss", ip=f"203.0.113.{n}")
    assert attempt("boss", PASSWORD, ip=OWNER).status_code == 302


@pytest.mark.parametrize("username", ["boss", "nobody_here"])
def test_each_failure_says_how_many_tries_are_left_from_this_address(people, username):
    for left in (4, 3, 2, 1):
        page = attempt(username).content.decode()
        assert f"还可尝试 {left} 次，之后该账号将在当前网络地址被锁定15分钟。" in page
    assert "还可尝试 4 次" in attempt(username, ip=OWNER).content.decode()  # another address counts apart
    assert attempt(username).status_code == 429


def test_the_tries_left_count_the_address_too(people):
    for n in range(18):
        attempt(f"guess{n}")
    assert "还可尝试 1 次" in attempt("boss").content.decode()  # the address has one failure left before 20
    assert attempt("clerk").status_code == 429


def test_logging_in_to_ones_own_account_does_not_clear_the_count_of_guesses_at_others(people):
    for _ in range(3):
        for _ in range(4):
            attempt("boss")
        assert attempt("clerk", PASSWORD).status_code == 302
    assert attempt("boss", PASSWORD).status_code == 429  # 12 failures on boss from this address


def test_the_lock_lifts_after_the_cool_off(people):
    lock("boss")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - dt.timedelta(minutes=16))
    assert attempt("boss", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_slow_it_down(people):
    for n in range(20):
        attempt(f"guess{n}")  # twenty made-up names, one try each: no account is locked itself
    assert attempt("clerk", PASSWORD).status_code == 429
    assert attempt("clerk", PASSWORD, ip="198.51.100.9").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(people):
    for _ in range(4):
        attempt("boss")
    assert attempt("boss", PASSWORD).status_code == 302
    for _ in range(4):
        attempt("boss")
    assert attempt("boss", PASSWORD).status_code == 302


def test_a_single_window_operator_unlocks_an_account(people, login_as):
    lock("boss")
    operator = login_as("sw_admin")
    page = operator.get("/account/locked/").content.decode()
    assert "boss" in page and "汕尾市红海湾进出口贸易有限公司" in page
    # Where the lock holds and when the last wrong password came (Asia/Shanghai).
    last = AccessAttempt.objects.filter(username="boss").latest("attempt_time").attempt_time
    shown = re.sub(r"<[^>]+>", "", page)
    assert f"锁定地址：203.0.113.5（最近一次输错 {timezone.localtime(last):%Y-%m-%d %H:%M}）" in shown

    operator.post("/account/locked/", {"username": "boss"})

    assert attempt("boss", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="account.unlock")
    assert (event.actor, event.data["username"]) == (people.sw_admin, "boss")


def test_a_single_window_operator_unlocks_an_address(people, login_as):
    for n in range(20):
        attempt(f"guess{n}")
    operator = login_as("sw_admin", ip="198.51.100.9")
    assert "203.0.113.5" in operator.get("/account/locked/").content.decode()
    operator.post("/account/locked/", {"address": "203.0.113.5"})
    assert attempt("clerk", PASSWORD).status_code == 302


@pytest.mark.parametrize("who", ["boss", "clerk", "rival"])
def test_only_single_window_operators_see_the_unlock_page(people, login_as, who):
    assert login_as(who).get("/account/locked/").status_code == 403


def test_the_legal_person_unlocks_an_operator_of_its_own_enterprise(people, login_as):
    lock("clerk")
    boss = login_as("boss", ip="198.51.100.9")
    assert "已锁定" in boss.get("/account/operators/").content.decode()
    boss.post(f"/account/operators/{people.clerk.pk}/unlock/")
    assert attempt("clerk", PASSWORD).status_code == 302


def test_another_enterprise_cannot_unlock_our_operator(people, login_as):
    lock("clerk")
    rival = login_as("rival", ip="198.51.100.9")
    assert rival.post(f"/account/operators/{people.clerk.pk}/unlock/").status_code == 404
    assert attempt("clerk", PASSWORD).status_code == 429


def test_a_password_reset_unlocks(people, client):
    from .conftest import code_sent_to

    lock("boss")
    client.post("/forgot-password/", {"recipient": "13729230657"})
    client.post("/account/recover/password/verify/", {"code": code_sent_to("13729230657"), "action": "verify"})
    client.post("/account/recover/password/reset/",
                {"username": "boss", "password": "Harbour2025x", "password2": "Harbour2025x"})
    assert attempt("boss", "Harbour2025x").status_code == 302
