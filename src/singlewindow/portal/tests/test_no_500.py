"""Whatever is typed into a form — markup, very long text, any unicode, NUL bytes — the answer is never a 5xx,
and a policy or an account changes only when the input is valid. Each example runs in a rolled-back savepoint.
"""
import re
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.accounts.models import LocalAccount
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import confirm_data, refreshed
from singlewindow.validators import normalise_phone

fuzz = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])

NASTY = st.one_of(
    st.text(max_size=60),
    st.text(min_size=45, max_size=55, alphabet=st.characters(codec="utf-8", exclude_characters="<>&")),
    st.text(min_size=400, max_size=3000),
    st.integers().map(str),
    st.builds("{}\x00{}".format, st.text(max_size=8), st.text(max_size=8)),
    st.sampled_from([
        "<script>alert(1)</script>", "\" onmouseover=\"alert(1)", "&#60;b&#62;", "javascript:alert(1)", "{{ 7|add:7 }}",
        "'; DROP TABLE policies_policy; --", "李" * 50, "李" * 51, "理" * 500, "理" * 501, "  李锐  ", "\u202e锐李",
        "😀" * 30, "\ufeff", "\x00", "%00", "0660-3379016", "13729230657", "name@example.com", "",
    ]),
)
# The oracle, written from the rule's statement (issue 9 #4), not from validators.py: no markup, no C0/C1
# control, no bidirectional control or mark, no lone surrogate, no formula sign at the start.
MARKUP_OR_CONTROL = re.compile(
    "[<>]|&#|javascript:|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
    re.IGNORECASE)


def plain_text(value, max_length):
    """The rule for names and reasons: something after trimming, not too long, no markup or control characters."""
    value = value.strip()
    return (0 < len(value) <= max_length and not MARKUP_OR_CONTROL.search(value)
            and not value.startswith(("=", "+", "-", "@")))


def accepted(check, value):
    try:
        check(value)
        return True
    except ValidationError:
        return False


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def post(client, user, url, data):
    client.force_login(user)
    response = client.post(url, data)
    assert response.status_code < 500
    return response


# --- enterprise ----------------------------------------------------------------

@fuzz
@given(name=NASTY)
def test_confirm_accepts_only_a_plain_contact_name(world, client, bound_demo, name):
    with rolled_back():
        response = post(client, bound_demo, f"/insure/{world.pending.pk}/confirm/",
                        confirm_data(world.pending, contact_name=name))
        valid = plain_text(name, 50)
        assert response.status_code == (302 if valid else 400)
        assert refreshed(world.pending).status == (PolicyStatus.CONFIRMED if valid else PolicyStatus.PENDING)


@fuzz
@given(field=st.sampled_from(["contact_phone", "contact_email", "agreement_sha256"]), value=NASTY)
def test_confirm_changes_nothing_unless_phone_email_and_agreement_are_valid(world, client, bound_demo, field, value):
    with rolled_back():
        response = post(client, bound_demo, f"/insure/{world.pending.pk}/confirm/",
                        confirm_data(world.pending, **{field: value}))
        status = refreshed(world.pending).status
        if response.status_code == 302:
            assert status == PolicyStatus.CONFIRMED
            assert {"contact_phone": lambda v: accepted(normalise_phone, v),
                    "contact_email": lambda v: not v.strip() or accepted(validate_email, v.strip()),
                    "agreement_sha256": lambda v: v.strip() == world.scheme.agreement.sha256}[field](value)
        else:
            assert (response.status_code, status) == (400, PolicyStatus.PENDING)


@fuzz
@given(reason=NASTY)
def test_decline_accepts_only_a_plain_reason(world, client, bound_demo, reason):
    with rolled_back():
        response = post(client, bound_demo, f"/insure/{world.pending.pk}/decline/", {"reason": reason})
        valid = plain_text(reason, 500)
        assert response.status_code == (302 if valid else 400)
        assert refreshed(world.pending).status == (PolicyStatus.DECLINED if valid else PolicyStatus.PENDING)


@fuzz
@given(mode=st.sampled_from(["bind", "register", "", "other"]),
       field=st.sampled_from(["username", "password", "contact_name", "contact_phone", "email"]), value=NASTY)
def test_binding_and_quick_registration_bind_only_valid_input(world, client, mode, field, value):
    register = {"username": "hongwan2026", "password": "Hongwan2026", "contact_name": "李锐",
                "contact_phone": "13729230657", "email": ""}
    data = {"mode": mode, "next": value, **{f"reg-{k}": v for k, v in register.items()},
            "bind-username": "swdemo", "bind-password": value, f"reg-{field}": value}
    with rolled_back():
        accounts = LocalAccount.objects.count()
        response = post(client, world.demo, "/local/bind/", data)
        world.demo.refresh_from_db()
        if response.status_code == 302:
            assert world.demo.local_account is not None
            assert urlsplit(response.url).netloc in ("", "testserver")
            if mode == "bind":
                assert value == "Local@2020"
            elif field == "username":
                assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,29}", value.strip()) and value.strip().lower() != "swdemo"
            elif field == "contact_name":
                assert plain_text(value, 50)
        else:
            assert response.status_code == 400
            assert world.demo.local_account is None and LocalAccount.objects.count() == accounts


# --- insurer -------------------------------------------------------------------

@fuzz
@given(action=st.sampled_from(["return", "cancel"]), reason=NASTY)
def test_return_and_cancel_accept_only_a_plain_reason(world, client, confirmed, action, reason):
    with rolled_back():
        # 撤销's second step (checked=1) is tested in test_insurer_views; here the reason's rule meets any text.
        response = post(client, world.insurer, f"/insurer/{confirmed.pk}/{action}/",
                        {f"{action}-reason": reason, "checked": "1"})
        valid = plain_text(reason, 500)
        assert response.status_code == (302 if valid else 400)
        changed = {"return": PolicyStatus.RETURNED, "cancel": PolicyStatus.CANCELLED}[action]
        assert refreshed(confirmed).status == (changed if valid else PolicyStatus.CONFIRMED)


@fuzz
@given(uscc=NASTY, scheme=st.one_of(st.none(), NASTY))
def test_issue_creates_nothing_for_unknown_input(world, client, uscc, scheme):
    with rolled_back():
        before = Policy.objects.count()
        response = post(client, world.insurer, "/insurer/issue/",
                        {"scheme": world.scheme.pk if scheme is None else scheme, "uscc": uscc})
        assert response.status_code == 400
        assert Policy.objects.count() == before


@fuzz
@given(picked=st.lists(NASTY, max_size=5))
def test_bulk_approve_survives_any_ticked_values(world, client, picked):
    with rolled_back():
        response = post(client, world.insurer, "/insurer/approve/", {"policy": picked})
        assert response.status_code == 302


# --- login ---------------------------------------------------------------------

@fuzz
@given(username=st.one_of(NASTY, st.just("demo")), password=NASTY, next_=NASTY)
def test_login_survives_any_credentials_and_logs_nobody_in(world, client, username, password, next_):
    with rolled_back():
        client.logout()
        response = client.post("/login/", {"username": username, "password": password, "next": next_})
        assert response.status_code < 500
        assert "_auth_user_id" not in client.session
