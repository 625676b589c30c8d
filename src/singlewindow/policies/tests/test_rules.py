"""Each rule is stated once: the forms, the services and the pages read the same definition."""
import pytest
from django.core.exceptions import ValidationError

from singlewindow.policies import services
from singlewindow.policies.forms import IssueForm, ReasonForm
from singlewindow.policies.models import REASON_MAX_LENGTH, Scheme


def test_a_reason_is_refused_past_the_same_length_by_the_form_and_the_service():
    assert REASON_MAX_LENGTH == 500
    longest, too_long = "理" * REASON_MAX_LENGTH, "理" * (REASON_MAX_LENGTH + 1)
    assert ReasonForm({"reason": longest}).is_valid()
    assert services.check_reason(longest) == longest

    form = ReasonForm({"reason": too_long})
    assert not form.is_valid()
    with pytest.raises(ValidationError) as refused:
        services.check_reason(too_long)
    assert form.errors["reason"] == refused.value.message_dict["reason"] == ["原因不能超过500个字。"]


def test_the_reason_boxes_take_their_maxlength_from_the_form_field():
    reason, issue = ReasonForm(), IssueForm(schemes=Scheme.objects.none())
    assert reason.fields["reason"].max_length == issue.fields["exception_reason"].max_length == REASON_MAX_LENGTH
    assert issue.fields["exception_reason"].error_messages["max_length"] == "原因不能超过500个字。"
