"""The logged-in user comes from the cache (accounts.usercache), and a cached copy never outlives a change: each
credential revoked or changed logs the old session out at its very next request, and a changed role or scope shows
at once. Every test first makes a request, so that the user is cached when the change comes."""
import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from singlewindow.accounts import usercache
from singlewindow.accounts.models import Role, User
from singlewindow.accounts.tests.conftest import PASSWORD
from singlewindow.eport.tests.conftest import demo_card, logged_in  # noqa: F401 (fixtures, shared from there)
from singlewindow.policies.tests.conftest import page_text
from singlewindow.regions.models import Region


def browser_of(user):
    browser = Client()
    browser.force_login(user)
    assert browser.get("/account/").status_code == 200  # the user is now cached
    return browser


def logged_out(response):
    return response.status_code == 302 and response["Location"].startswith("/login/")


def user_queries(browser, url="/account/"):
    """The queries of one request that read the users table by the session's user id."""
    user_id = browser.session[SESSION_KEY]
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return [q["sql"] for q in queries if 'FROM "accounts_user"' in q["sql"] and f'"id" = {user_id}' in q["sql"]]


def test_a_logged_in_request_does_not_query_its_user_once_cached(people, settings):
    browser = browser_of(people.clerk)
    assert user_queries(browser) == []
    settings.SW_USER_CACHE_SECONDS = 0  # the cache off: Django's query per request
    assert len(user_queries(browser)) == 1


# --- a revoked or changed credential ends the session at once, cached or not ------------------------------------

def test_a_password_changed_elsewhere_logs_the_cached_session_out(people, login_as):
    there = login_as("clerk")
    assert there.get("/account/").status_code == 200
    here = login_as("clerk")
    here.post("/account/password/", {"old_password": PASSWORD, "password": "Harbour2026x", "password2": "Harbour2026x"})
    assert logged_out(there.get("/account/"))


def test_a_password_reset_by_set_password_logs_the_cached_session_out(people):
    browser = browser_of(people.clerk)
    people.clerk.set_password("Harbour2026x")
    people.clerk.save(update_fields=["password"])
    assert logged_out(browser.get("/account/"))


@pytest.mark.parametrize("step", ["disable", "remove"])
def test_an_operator_disabled_or_removed_is_logged_out_at_its_next_request(people, login_as, step):
    clerk, boss = browser_of(people.clerk), login_as("boss")
    boss.post(f"/account/operators/{people.clerk.pk}/{step}/", {"checked": "1"})
    assert logged_out(clerk.get("/account/"))


def test_an_account_disabled_by_an_update_is_logged_out_at_its_next_request(people):
    browser = browser_of(people.clerk)
    User.objects.filter(pk=people.clerk.pk).update(is_active=False)  # no save(), no signal: the queryset's update
    assert logged_out(browser.get("/account/"))


def test_a_deleted_account_is_logged_out_at_its_next_request(people):
    browser = browser_of(people.sw_admin)
    User.objects.filter(pk=people.sw_admin.pk).delete()
    assert logged_out(browser.get("/account/"))


def test_a_revoked_card_logs_its_cached_session_out(world, demo_card, logged_in):  # noqa: F811 (the fixtures)
    from singlewindow.eport.card_services import revoke_card

    session = logged_in(demo_card)
    assert session.client.get("/account/").status_code == 200
    revoke_card(demo_card.card.number, reason="挂失")
    assert logged_out(session.client.get("/account/"))


# --- a cached user never serves stale permissions ----------------------------------------------------------------

def test_a_bureau_users_new_region_shows_at_its_next_request(world):
    browser = browser_of(world.county)
    before = world.county.region
    other = Region.objects.filter(level=before.level).exclude(pk=before.pk).first()
    assert f"商务主管部门 · {before}" in page_text(browser.get("/account/"))
    world.county.region = other
    world.county.save()
    text = page_text(browser.get("/account/"))
    assert f"商务主管部门 · {other}" in text and f"商务主管部门 · {before}" not in text


def test_an_enterprise_users_new_enterprise_shows_at_its_next_request(world):
    browser = browser_of(world.colleague)
    User.objects.filter(pk=world.colleague.pk).update(enterprise=world.demo2.enterprise)
    assert world.demo2.enterprise.name in page_text(browser.get("/account/"))


def test_a_user_made_staff_sees_the_staff_pages_at_once_and_loses_them_at_once(people):
    browser = browser_of(people.clerk)
    assert browser.get("/account/locked/").status_code in {302, 403, 404}  # 账号解锁 is the operators' page
    User.objects.filter(pk=people.clerk.pk).update(role=Role.STAFF, enterprise=None)
    assert browser.get("/account/locked/").status_code == 200
    User.objects.filter(pk=people.clerk.pk).update(role=Role.ENTERPRISE, enterprise=people.ours)
    assert browser.get("/account/locked/").status_code in {302, 403, 404}


def test_a_copy_cached_from_a_read_before_the_commit_is_not_served_after_it(people, django_capture_on_commit_callbacks):
    """A request that read the row before the change committed may cache the old row under the version the change
    set first; the version set again after the commit makes that copy stale."""
    browser = browser_of(people.clerk)
    stale = User.objects.get(pk=people.clerk.pk)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        User.objects.filter(pk=people.clerk.pk).update(role=Role.STAFF, enterprise=None)
        copy_key, version_key = usercache._keys(people.clerk.pk)
        usercache.cache.set(copy_key, (usercache.cache.get(version_key), stale))  # the racing request's fill
    assert browser.get("/account/locked/").status_code == 200  # served as staff: the new row, not the stale copy


# --- with the cached session engine (production's, with Redis): the session and the user in one cache read -------

@pytest.fixture
def cached_sessions(settings):
    settings.SESSION_ENGINE = "singlewindow.accounts.sessions.cached_db"


@pytest.fixture
def cache_reads(monkeypatch):
    """The keys of each cache read that asks for a session or a user (pages read other things too)."""
    backend = caches["default"]
    reads = []

    inside = []

    def counted(method, many):
        def read(key, *args, **kwargs):
            keys = list(key) if many else [key]
            if not inside and any(k.startswith(("sw:user", "django.contrib.sessions")) for k in keys):
                reads.append(keys)
            inside.append(key)  # get_many may read key by key: one read all the same
            try:
                return method(key, *args, **kwargs)
            finally:
                inside.pop()
        return read

    monkeypatch.setattr(backend, "get", counted(backend.get, False))
    monkeypatch.setattr(backend, "get_many", counted(backend.get_many, True))
    return reads


def test_a_logged_in_request_reads_its_session_and_user_in_one_cache_read(people, cached_sessions, cache_reads):
    browser = browser_of(people.clerk)
    assert browser.cookies[usercache.HINT_COOKIE].value == str(people.clerk.pk)
    session_key = "django.contrib.sessions.cached_db" + browser.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        del cache_reads[:]
        assert browser.get("/account/").status_code == 200
    assert cache_reads == [[session_key, *usercache.prefetch_keys(people.clerk.pk)]]
    assert not [q for q in queries if 'FROM "accounts_user"' in q["sql"] or "django_session" in q["sql"]]


def test_a_hint_naming_another_user_gives_nothing_of_that_user(people, cached_sessions):
    browser = browser_of(people.clerk)
    browser_of(people.boss)  # the boss's copy is in the cache
    browser.cookies[usercache.HINT_COOKIE] = str(people.boss.pk)
    text = page_text(browser.get("/account/"))
    assert "黄静" in text and "李锐" not in text
    assert browser.cookies[usercache.HINT_COOKIE].value == str(people.clerk.pk)  # put right


def test_with_the_cached_session_engine_a_disabled_operator_is_logged_out_at_once(people, cached_sessions, login_as):
    clerk, boss = browser_of(people.clerk), login_as("boss")
    assert clerk.get("/account/").status_code == 200  # served from the one read
    boss.post(f"/account/operators/{people.clerk.pk}/disable/")
    assert logged_out(clerk.get("/account/"))
    assert usercache.HINT_COOKIE not in clerk.cookies or not clerk.cookies[usercache.HINT_COOKIE].value
