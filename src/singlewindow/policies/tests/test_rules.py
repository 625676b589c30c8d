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


def test_a_contact_name_is_refused_past_the_same_length_by_the_forms_the_service_and_the_columns():
    from singlewindow.accounts.forms import QuickRegisterForm
    from singlewindow.accounts.models import LocalAccount
    from singlewindow.policies.forms import ConfirmForm
    from singlewindow.policies.models import Confirmation, Policy
    from singlewindow.validators import CONTACT_NAME_MAX_LENGTH, clean_person_name

    assert CONTACT_NAME_MAX_LENGTH == 50
    longest, too_long = "李" * CONTACT_NAME_MAX_LENGTH, "李" * (CONTACT_NAME_MAX_LENGTH + 1)
    assert clean_person_name(longest) == longest
    assert ConfirmForm({"contact_name": longest, "contact_phone": "13800138000"}).is_valid()
    form = ConfirmForm({"contact_name": too_long, "contact_phone": "13800138000"})
    assert not form.is_valid()
    with pytest.raises(ValidationError) as refused:
        clean_person_name(too_long)
    assert form.errors["contact_name"] == refused.value.messages == ["联系人不能超过50个字。"]
    assert {model._meta.get_field("contact_name").max_length for model in (Policy, Confirmation, LocalAccount)} == {
        QuickRegisterForm.base_fields["contact_name"].max_length} == {CONTACT_NAME_MAX_LENGTH}


def test_the_insurer_s_search_box_holds_what_the_list_reads(insurer_client):
    from singlewindow.policies.insurer_views import SEARCH_MAX_LENGTH

    response = insurer_client.get("/insurer/", {"q": "保" * (SEARCH_MAX_LENGTH + 20)})
    assert f'maxlength="{SEARCH_MAX_LENGTH}"' in response.content.decode()
    assert response.context["q"] == "保" * SEARCH_MAX_LENGTH
