"""How long a session lasts and what ends it: SW_SESSION_IDLE_MINUTES without a request, SW_SESSION_MAX_HOURS
after the login, or a change of the credential behind it (password, account status, card)."""
import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from singlewindow.accounts import sessions
from singlewindow.accounts.tests.conftest import PASSWORD
from singlewindow.policies.tests.conftest import page_text

MINUTE, HOUR = 60, 3600
TIMED_OUT = "登录已超时，请重新登录。"


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by the test."""
    fake = Clock()
    monkeypatch.setattr(sessions, "clock", fake)
    return fake


def signed_in(response):
    return response.status_code == 200


def sent_to_login(response, next_path=None):
    location = response.get("Location", "")
    expected = "/login/" + (f"?next={next_path.replace('/', '%2F')}" if next_path else "")
    return response.status_code == 302 and location == expected


# --- idle and absolute limits ---------------------------------------------------------------------

def test_a_session_idle_longer_than_the_idle_limit_ends_and_the_login_page_says_so(people, login_as, clock):
    clerk = login_as("clerk")
    clock.advance(31 * MINUTE)
    response = clerk.get("/account/")
    assert sent_to_login(response, "/account/")
    text = page_text(clerk.get(response["Location"]))
    assert TIMED_OUT in text and "连续30分钟无操作将自动退出登录" in text
    assert "_auth_user_id" not in clerk.session
    assert sent_to_login(clerk.get("/account/"), "/account/")  # and it stays ended
    assert TIMED_OUT not in page_text(clerk.get("/login/"))  # said once


def test_a_session_is_never_ended_before_the_stated_idle_time(people, login_as, clock):
    clerk = login_as("clerk")
    for _ in range(3):
        clock.advance(30 * MINUTE)  # exactly the idle limit since the last request, each time
        assert signed_in(clerk.get("/account/"))


def test_a_session_in_use_ends_at_the_absolute_limit_after_its_login(people, login_as, clock):
    clerk = login_as("clerk")
    for _ in range(35):  # a request every 20 minutes: never idle
        clock.advance(20 * MINUTE)
        assert signed_in(clerk.get("/account/"))
    clock.advance(20 * MINUTE)  # 12 hours after the login
    response = clerk.get("/account/", follow=True)
    assert TIMED_OUT in page_text(response) and "每次登录最长可使用12小时" in page_text(response)
    assert login_as("clerk").get("/account/").status_code == 200  # a new login starts a new 12 hours


def test_both_limits_are_settings(people, login_as, clock, settings):
    settings.SW_SESSION_IDLE_MINUTES, settings.SW_SESSION_MAX_HOURS = 5, 1
    clerk = login_as("clerk")
    clock.advance(6 * MINUTE + 1)
    assert "连续5分钟无操作" in page_text(clerk.get("/account/", follow=True))
    clerk = login_as("clerk")
    for _ in range(15):
        clock.advance(4 * MINUTE)
        clerk.get("/account/")
    assert "每次登录最长可使用1小时" in page_text(clerk.get("/account/", follow=True))


def test_the_last_seen_time_is_written_at_most_once_a_minute(people, login_as, clock):
    clerk = login_as("clerk")
    key = clerk.cookies["sessionid"].value

    def stored():
        return Session.objects.get(session_key=key).session_data

    written = stored()
    for _ in range(5):
        clock.advance(11)
        assert signed_in(clerk.get("/account/")) and stored() == written  # 55 s: no session write
    clock.advance(5)
    clerk.get("/account/")
    assert stored() != written


def test_the_session_write_granularity_is_a_setting_and_the_idle_limit_holds_to_it(people, login_as, clock, settings):
    settings.SW_SESSION_TOUCH_SECONDS = 5 * MINUTE
    clerk = login_as("clerk")
    key = clerk.cookies["sessionid"].value

    def stored():
        return Session.objects.get(session_key=key).session_data

    written = stored()
    clock.advance(5 * MINUTE - 1)
    assert signed_in(clerk.get("/account/")) and stored() == written  # within the granularity: no session write
    clock.advance(1)
    assert signed_in(clerk.get("/account/")) and stored() != written
    clock.advance(30 * MINUTE + 5 * MINUTE - 1)  # the idle limit plus the granularity, less a second
    assert signed_in(clerk.get("/account/"))
    clock.advance(35 * MINUTE)
    assert sent_to_login(clerk.get("/account/"), "/account/")


def test_the_session_cookie_lasts_no_longer_than_the_absolute_limit(people, client):
    response = client.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert 0 < response.cookies["sessionid"]["max-age"] <= 12 * HOUR


def test_a_script_request_after_the_timeout_is_told_where_to_log_in(people, login_as, clock):
    clerk = login_as("clerk")
    clock.advance(HOUR)
    response = clerk.post("/account/", headers={"Sec-Fetch-Mode": "cors", "Referer": "http://testserver/account/"})
    assert response.status_code == 401 and TIMED_OUT in response.json()["error"]
    assert response.json()["login"] == "/login/?next=%2Faccount%2F" == response["HX-Redirect"]  # back to the page
    assert TIMED_OUT in page_text(clerk.get("/login/"))


@pytest.mark.parametrize("referer", ["http://evil.example/account/", "//evil.example/", "javascript:alert(1)", ""])
def test_a_script_request_from_elsewhere_is_sent_to_the_login_without_a_way_back(people, login_as, clock, referer):
    clerk = login_as("clerk")
    clock.advance(HOUR)
    response = clerk.get("/account/", headers={"Sec-Fetch-Mode": "cors", "Referer": referer})
    assert response.status_code == 401 and response.json()["login"] == "/login/"


def test_the_notice_popups_polling_does_not_keep_a_session_alive(world, clock):
    browser = Client()
    browser.force_login(world.demo)
    for _ in range(31):  # the page left open: the popup asks every 20 s, nobody does anything
        clock.advance(MINUTE)
        polled = browser.get("/notices/popup/", headers={"HX-Request": "true",
                                                          "HX-Current-URL": "http://testserver/insure/"})
    assert polled.status_code == 401 and polled["HX-Redirect"] == "/login/?next=%2Finsure%2F"  # htmx goes there
    assert TIMED_OUT in page_text(browser.get("/login/"))


def test_a_session_from_before_the_limits_ends_at_once(people, login_as, clock):
    clerk = login_as("clerk")
    session = clerk.session
    del session[sessions.LOGIN_AT]
    session.save()
    assert sent_to_login(clerk.get("/account/"), "/account/")


def test_a_posted_form_after_the_timeout_goes_to_the_login_page_without_a_next(people, login_as, clock):
    boss = login_as("boss")
    clock.advance(HOUR)
    assert sent_to_login(boss.post(f"/account/operators/{people.clerk.pk}/disable/"))
    people.clerk.refresh_from_db()
    assert people.clerk.is_active


# --- a changed credential ends the sessions behind it ---------------------------------------------

def test_enabling_a_disabled_operator_does_not_revive_its_old_sessions(people, login_as):
    clerk, boss = login_as("clerk"), login_as("boss")
    boss.post(f"/account/operators/{people.clerk.pk}/disable/")
    boss.post(f"/account/operators/{people.clerk.pk}/enable/")
    assert sent_to_login(clerk.get("/account/"), "/account/")
    assert "_auth_user_id" not in clerk.session
    assert signed_in(login_as("clerk").get("/account/"))  # the operator itself may log in again


def test_disabling_or_removing_an_operator_ends_its_sessions_for_good(people, login_as):
    from singlewindow.accounts.models import User

    clerk, boss = login_as("clerk"), login_as("boss")
    boss.post(f"/account/operators/{people.clerk.pk}/remove/", {"checked": "1"})
    User.objects.filter(pk=people.clerk.pk).update(is_active=True, removed_at=None)  # even if an admin undid it
    assert sent_to_login(clerk.get("/account/"), "/account/")


def test_a_password_change_ends_the_other_sessions(people, login_as):
    here, there = login_as("clerk"), login_as("clerk")
    here.post("/account/password/", {"old_password": PASSWORD, "password": "Harbour2026x", "password2": "Harbour2026x"})
    assert sent_to_login(there.get("/account/"), "/account/")


def test_a_malformed_session_cookie_is_no_session(people):
    browser = Client()
    browser.cookies["sessionid"] = "../../etc/passwd\x00" + "a" * 20
    assert sent_to_login(browser.get("/account/"), "/account/")
    assert browser.get("/login/").status_code == 200
