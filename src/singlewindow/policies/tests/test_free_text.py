"""Free text of the policy forms (scheme texts, every reason) goes through the one text rule: markup, control and
bidirectional-override characters and formula openings are refused on the field, and nothing is stored."""
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, given, settings

from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (fixture)
from singlewindow.policies.models import Policy, PolicyStatus, Scheme
from singlewindow.policies.schemes import FIELDS

from .conftest import page_text, refreshed, refusal_on, refused_texts

EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def shows_refusal(response, form, field):
    """A 400 page showing the rule's Chinese message, which the form carries on the field itself."""
    assert response.status_code == 400
    messages = refusal_on(response.context[form], field)
    assert messages, response.context[form].errors
    assert all(message in page_text(response) for message in messages)


def scheme_data(scheme, **changes):
    data = {k: ("" if v is None else v) for k, v in model_to_dict(scheme, fields=FIELDS).items()}
    return {**data, "name": "2027年汕尾市小微企业出口信用保险统保方案", "year": 2027, "basis_year": 2026,
            "cover_start": "2027-01-01", "cover_end": "2027-12-31", "confirm_deadline": "2027-03-31", **changes}


@pytest.mark.parametrize("field", ["name", "risks_covered"])
@EXAMPLES
@given(text=refused_texts())
def test_a_new_scheme_refuses_such_text_in_its_free_text_fields(world, client, field, text):
    client.force_login(world.insurer)
    before = Scheme.objects.count()
    response = client.post("/insurer/schemes/new/", scheme_data(world.scheme, **{field: text}))
    shows_refusal(response, "form", field)
    assert Scheme.objects.count() == before


@pytest.mark.parametrize("field", ["name", "risks_covered"])
@EXAMPLES
@given(text=refused_texts())
def test_editing_a_scheme_refuses_such_text_and_keeps_the_scheme(world, client, field, text):
    client.force_login(world.insurer)
    kept = model_to_dict(world.scheme, fields=FIELDS)
    response = client.post(f"/insurer/schemes/{world.scheme.pk}/", scheme_data(world.scheme, **{field: text}))
    shows_refusal(response, "form", field)
    assert model_to_dict(refreshed(world.scheme), fields=FIELDS) == kept


@pytest.mark.parametrize("action", ["return", "cancel"])
@EXAMPLES
@given(text=refused_texts(max_size=100))
def test_return_and_cancel_reasons_refuse_such_text(world, insurer_client, confirmed, action, text):
    events = AuditEvent.objects.count()
    response = insurer_client.post(f"/insurer/{confirmed.pk}/{action}/", {f"{action}-reason": text})
    shows_refusal(response, f"{action}_form", "reason")
    policy = refreshed(confirmed)
    assert (policy.status, policy.last_reason, AuditEvent.objects.count()) == (PolicyStatus.CONFIRMED, "", events)


@EXAMPLES
@given(text=refused_texts(max_size=100))
def test_the_decline_reason_refuses_such_text(world, demo_client, text):
    events = AuditEvent.objects.count()
    response = demo_client.post(f"/insure/{world.pending.pk}/decline/", {"reason": text})
    shows_refusal(response, "form", "reason")
    policy = refreshed(world.pending)
    assert (policy.status, policy.last_reason, AuditEvent.objects.count()) == (PolicyStatus.PENDING, "", events)


@pytest.fixture
def over_threshold(exporter):  # noqa: F811
    return exporter(1, Decimal(3500000))


@EXAMPLES
@given(text=refused_texts(max_size=100))
def test_the_exception_reason_of_a_manual_issue_refuses_such_text(world, insurer_client, over_threshold, text):
    enterprise = over_threshold
    events = AuditEvent.objects.count()
    response = insurer_client.post("/insurer/issue/", {"scheme": world.scheme.pk, "uscc": enterprise.uscc,
                                                       "step": "issue", "exception": "on", "exception_reason": text})
    shows_refusal(response, "form", "exception_reason")
    assert not Policy.objects.filter(enterprise=enterprise).exists() and AuditEvent.objects.count() == events

