"""PostgreSQL restarted under load (a private instance, never the machine's own server) behind a running app
process (gunicorn, production settings, testing/cluster.py): while it is down every request gets the friendly
error page, never a traceback; a confirmation caught in the middle of its transaction leaves nothing of itself;
once the server is back the app recovers by itself (no restart), also after a restart nobody noticed
(CONN_HEALTH_CHECKS: a connection the server dropped is replaced before it is used)."""
import threading

import psycopg
import pytest
from django.db import connection

from singlewindow.testing.cluster import Cluster
from singlewindow.testing.portal_client import PortalClient, form_value

from .conftest import database_url, wait_for
from .test_redis_down import bind_local_account, friendly, production_passwords

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: the world is copied into the private server by "
                                              "pg_dump")]
CONTACTS = {"contact_name": "李锐", "contact_phone": "13729230657", "contact_email": "lirui@example.com"}


@pytest.fixture
def app(live_world, private_postgres, private_redis, tmp_path):
    production_passwords(live_world)
    bind_local_account(live_world.demo)
    bind_local_account(live_world.demo2)
    private_postgres.load(database_url())
    with Cluster(root=tmp_path / "cluster", database_url=private_postgres.url, redis_url=private_redis.url,
                 hosts=1, use_namespaces=False) as cluster:
        cluster.url = cluster.app(0, workers=1).url
        cluster.db = private_postgres
        yield cluster


def query(db, sql, *params):
    with psycopg.connect(db.url) as conn:
        return conn.execute(sql, params).fetchall()


def confirm_state(db, policy_id):
    """(status, confirmations, policy.confirm audit events) of the policy, as stored."""
    return (query(db, "SELECT status FROM policies_policy WHERE id = %s", policy_id)[0][0],
            query(db, "SELECT count(*) FROM policies_confirmation WHERE policy_id = %s", policy_id)[0][0],
            query(db, "SELECT count(*) FROM audit_auditevent WHERE action = 'policy.confirm' AND object_id = %s",
                  str(policy_id))[0][0])


class Load(threading.Thread):
    """A logged-in enterprise asking for its list again and again; every answer kept."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.answers, self.done = url, [], threading.Event()
        self.client = PortalClient(timeout=30)
        assert self.client.log_in(url, "demo2", "Demo@2020").status_code == 302

    def run(self):
        while not self.done.is_set():
            try:
                response = self.client.get(f"{self.url}/insure/")
                self.answers.append("ok" if response.status_code == 200 else
                                    "friendly" if friendly(response) else f"{response.status_code}: {response.text[:200]}")
            except OSError as error:  # the app process itself must keep answering
                self.answers.append(f"no answer: {error}")

    def stop(self):
        self.done.set()
        self.join(60)


def test_postgres_restarted_under_load_gives_the_friendly_page_leaves_no_half_confirmation_and_recovers(
        app, live_world):
    url, db, policy = app.url, app.db, live_world.pending
    enterprise = PortalClient(timeout=60)
    assert enterprise.log_in(url, "demo", "Demo@2020").status_code == 302, app.logs()
    detail = enterprise.get(f"{url}/insure/{policy.pk}/")
    assert detail.status_code == 200 and "确认投保" in detail.text, app.logs()
    form = {**CONTACTS, "agreement_sha256": form_value(detail.text, "agreement_sha256")}
    load = Load(url)
    load.start()

    # A confirmation held at the audit chain's head: its status change and Confirmation row are written, not
    # committed, when the server goes down.
    holder = psycopg.connect(db.url)
    holder.execute("SELECT 1 FROM audit_audithead WHERE id = 1 FOR UPDATE")
    answer = {}
    confirming = threading.Thread(target=lambda: answer.update(
        response=enterprise.post(f"{url}/insure/{policy.pk}/confirm/", form)), daemon=True)
    confirming.start()
    wait_for("the confirmation waiting inside its transaction", lambda: query(
        db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'singlewindow'")[0][0])

    db.stop()
    confirming.join(60)
    assert friendly(answer["response"]), answer["response"].text[:300]
    outage = [enterprise.get(f"{url}/insure/"), enterprise.get(f"{url}/insure/{policy.pk}/")]
    assert all(friendly(response) for response in outage), [r.status_code for r in outage]
    assert PortalClient().get(f"{url}/login/").status_code == 200  # a page that needs no database still answers
    wait_for("the load meeting the outage", lambda: "friendly" in load.answers)

    db.start()
    wait_for("the load answered again", lambda: load.answers[-1] == "ok")  # by itself, no restart of the app
    load.stop()
    assert set(load.answers) <= {"ok", "friendly"}, [a for a in load.answers if a not in {"ok", "friendly"}]
    assert confirm_state(db, policy.pk) == ("pending", 0, 0)  # nothing of the interrupted confirmation

    detail = enterprise.get(f"{url}/insure/{policy.pk}/")
    assert detail.status_code == 200 and "确认投保" in detail.text
    confirmed = enterprise.post(f"{url}/insure/{policy.pk}/confirm/", form)
    assert confirmed.status_code == 302, app.logs()
    assert confirm_state(db, policy.pk) == ("confirmed", 1, 1)

    # A restart between two requests: the app's kept connection is dead, and replaced before it is used.
    db.stop()
    db.start()
    after = enterprise.get(f"{url}/insure/{policy.pk}/")
    assert after.status_code == 200 and "审批中" in after.text, after.text[:300]
    verified = app.manage("verify_audit")
    assert verified.returncode == 0, verified.stdout + verified.stderr
