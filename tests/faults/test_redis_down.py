"""Redis down under a running app process (gunicorn, production settings, testing/cluster.py): the pages that can
do without it keep working from the database (the session, the logged-in user, the policy pages, a confirmation);
what cannot be done without it fails with the friendly page, nothing changed: the per-address counters, a
logout, and a login once the user is read from the cache (decision 0035: its version must be replaced); when
Redis is back, so is everything."""
import pytest
from django.conf import settings
from django.db import connection

from singlewindow.audit.models import AuditEvent
from singlewindow.policies.models import Confirmation, PolicyStatus
from singlewindow.testing.cluster import Cluster, database_url
from singlewindow.testing.portal_client import PortalClient, form_value

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: the app processes of testing/cluster.py need it")]
BUSY = "系统繁忙，请稍后再试"


def production_passwords(world):
    """The test run hashes with MD5; the app process knows production's hashers only."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
        for user, password in ((world.demo, "Demo@2020"), (world.demo2, "Demo@2020")):
            user.set_password(password)
            user.save(update_fields=["password"])


def bind_local_account(user):
    from singlewindow.accounts.models import LocalAccount

    user.local_account = LocalAccount.objects.filter(enterprise=user.enterprise_id).first() or (
        LocalAccount.objects.create(username=f"sw{user.username}", enterprise_id=user.enterprise_id, password="!"))
    user.save(update_fields=["local_account"])


@pytest.fixture
def app(live_world, private_redis, tmp_path):
    production_passwords(live_world)
    bind_local_account(live_world.demo)
    bind_local_account(live_world.demo2)
    with Cluster(root=tmp_path / "cluster", database_url=database_url(connection), redis_url=private_redis.url,
                 hosts=1, use_namespaces=False) as cluster:
        cluster.url = cluster.app(0, workers=1).url
        yield cluster


def logins_need_redis():
    """A login replaces the user's version in the cache when the user is read from it (accounts.usercache,
    decision 0035): that write must not be skipped (a revoked copy could come back), so it fails the login."""
    return "singlewindow.accounts.usercache.AuthenticationMiddleware" in settings.MIDDLEWARE


def friendly(response):
    return response.status_code == 500 and BUSY in response.text and "Traceback" not in response.text


def test_with_redis_down_a_logged_in_enterprise_keeps_working_and_a_login_fails_clearly(
        app, live_world, private_redis):
    policy, url = live_world.pending, app.url
    enterprise = PortalClient()
    assert enterprise.log_in(url, "demo", "Demo@2020").status_code == 302, app.logs()
    assert policy.number in enterprise.get(f"{url}/insure/").text

    private_redis.stop()

    listing = enterprise.get(f"{url}/insure/")
    assert listing.status_code == 200 and policy.number in listing.text, app.logs()
    detail = enterprise.get(f"{url}/insure/{policy.pk}/")
    assert detail.status_code == 200 and "确认投保" in detail.text
    confirmed = enterprise.post(f"{url}/insure/{policy.pk}/confirm/", {
        "contact_name": "李锐", "contact_phone": "13729230657", "contact_email": "lirui@example.com",
        "agreement_sha256": form_value(detail.text, "agreement_sha256")})
    assert confirmed.status_code == 302, app.logs()
    assert "审批中" in enterprise.get(f"{url}/insure/{policy.pk}/").text
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.CONFIRMED
    assert Confirmation.objects.filter(policy=policy).count() == 1
    assert AuditEvent.objects.filter(action="policy.confirm", object_id=str(policy.pk)).count() == 1

    anonymous = PortalClient()
    assert anonymous.get(f"{url}/login/").status_code == 200  # the login page itself
    assert anonymous.get(f"{url}/verify/").status_code == 200  # 保单查验's form
    login = anonymous.post(f"{url}/login/", {"username": "demo2", "password": "Demo@2020"})
    if logins_need_redis():
        assert friendly(login), (login.status_code, login.text[:300])  # fails clearly, no session made
        assert anonymous.get(f"{url}/insure/").status_code == 302  # not logged in
    else:
        assert login.status_code == 302, app.logs()  # falls back to the database
        assert anonymous.get(f"{url}/insure/").status_code == 200



def test_when_redis_comes_back_logins_work_again(app, private_redis):
    url = app.url
    private_redis.stop()
    down = PortalClient().log_in(url, "demo2", "Demo@2020")
    assert friendly(down) if logins_need_redis() else down.status_code == 302

    private_redis.start()  # on its port again, empty, as a restarted Redis without persistence
    again = PortalClient()
    assert again.log_in(url, "demo2", "Demo@2020").status_code == 302, app.logs()
    assert again.get(f"{url}/insure/").status_code == 200
