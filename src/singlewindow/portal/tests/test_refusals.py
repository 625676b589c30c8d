"""refusals.attempt: how every page answers a service that said no."""
import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from singlewindow.machines import Refused
from singlewindow.refusals import attempt


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False)


@pytest.fixture
def request_():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def shown(request):
    return [(m.level, str(m)) for m in request._messages]


def test_a_block_that_runs_through_is_ok_and_says_nothing(request_):
    with attempt(request_) as tried:
        pass
    assert tried.ok and (tried.refused, tried.invalid) == (None, None) and shown(request_) == []


def test_a_refusal_becomes_one_message_at_the_level_asked(request_):
    with attempt(request_, refused_level=messages.INFO) as tried:
        raise Refused("already", "该申领已处理，无需重复出单。")
    assert not tried.ok and tried.refused.code == "already"
    assert shown(request_) == [(messages.INFO, "该申领已处理，无需重复出单。")]


def test_a_validation_error_goes_onto_the_form_next_to_its_field(request_):
    form = ReasonForm({"reason": ""})
    assert form.is_valid()
    with attempt(request_, form) as tried:
        raise ValidationError({"reason": "请填写原因。", "other": "整体错误"})
    assert tried.invalid and form.errors == {"reason": ["请填写原因。"], "__all__": ["整体错误"]}
    assert shown(request_) == []


def test_without_a_form_a_validation_error_is_one_warning(request_):
    with attempt(request_) as tried:
        raise ValidationError(["请选择本机构承保的方案。", "再试一次。"])
    assert tried.invalid and shown(request_) == [(messages.WARNING, "请选择本机构承保的方案。 再试一次。")]


def test_a_refusal_may_go_to_the_top_of_the_form(request_):
    form = ReasonForm({"reason": "x"})
    form.is_valid()
    with attempt(request_, form, refused_on_form=True):
        raise Refused("duplicate", "不能重复出单。")
    assert form.non_field_errors() == ["不能重复出单。"] and shown(request_) == []


def test_anything_else_goes_through(request_):
    with pytest.raises(KeyError), attempt(request_):
        raise KeyError("a bug is a 500, not a message")
