"""The password and username rules are stated once (accounts/passwords.py, accounts/usernames.py)."""
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from singlewindow.accounts import forms, passwords, usernames


def test_the_password_length_is_the_same_for_django_s_validators_and_a_local_account():
    assert (passwords.MIN_LENGTH, passwords.MAX_LENGTH) == (8, 64)
    shortest, too_short = "a1" * 4, "a1" * 4 + "b" * (passwords.MAX_LENGTH - 8)
    assert passwords.local_password_problem(shortest) is None
    validate_password("Xq7" + "k" * (passwords.MIN_LENGTH - 3))
    with pytest.raises(ValidationError, match="至少需要8位"):
        validate_password("Xq7" + "k" * (passwords.MIN_LENGTH - 4))
    with pytest.raises(ValidationError, match="不能超过64位"):
        validate_password(too_short + "c")
    assert passwords.local_password_problem(shortest[:-1]) == "密码至少8位，且须同时包含字母和数字。"
    assert passwords.local_password_problem("a" * 20) == "密码至少8位，且须同时包含字母和数字。"


def test_the_policy_texts_say_the_numbers_in_the_language_of_the_page():
    assert str(passwords.POLICY).startswith("密码8至64位，") and str(passwords.LOCAL_POLICY) == "至少8位，须同时包含字母和数字。"
    assert str(usernames.HELP) == "4至30位字母、数字或下划线，以字母开头。"
    with translation.override("en"):
        assert str(passwords.POLICY).startswith("Passwords are 8 to 64 characters")
        assert str(usernames.HELP) == "4 to 30 letters, digits or underscores, starting with a letter."
        assert usernames.username_format_error().startswith("The username must be 4 to 30")


def test_a_username_is_4_to_30_and_the_forms_boxes_hold_30():
    assert (usernames.MIN_LENGTH, usernames.MAX_LENGTH) == (4, 30)
    assert usernames.is_well_formed("a" * 4) and usernames.is_well_formed("a" * 30)
    assert not usernames.is_well_formed("a" * 3) and not usernames.is_well_formed("a" * 31)
    assert not usernames.is_well_formed("1abc") and not usernames.is_well_formed("ab-c")
    assert usernames.username_format_error() == "用户名须为4至30位字母、数字或下划线，并以字母开头。"
    assert usernames.local_account_format_error() == "本地账号须为4至30位字母、数字或下划线，并以字母开头。"
    boxes = {form.base_fields["username"].max_length for form in (
        forms.RegisterForm, forms.RegisterCodeForm, forms.OperatorForm, forms.QuickRegisterForm)}
    assert boxes == {usernames.MAX_LENGTH}


@pytest.mark.parametrize("check", ["registration", "recovery"])
def test_an_email_is_checked_and_kept_alike_by_registration_and_recovery(check):
    from singlewindow.accounts import codes, services

    def clean(value):
        return services._email(value) if check == "registration" else codes.parse_recipient(value)[1]

    assert clean(" Li.Rui@Example.COM ") == "li.rui@example.com"
    for bad in ("li@", "li@example", "li rui@example.com"):
        with pytest.raises(ValidationError) as refused:
            clean(bad)
        assert refused.value.messages == ["电子邮箱格式不正确。"]


@pytest.mark.parametrize(("password", "message"), [
    ("bossboss1", "密码与用户名太相近，请换一个。"),
    ("password1", "这个密码太常见，容易被猜中，请换一个。"),
    ("20240806159", "密码不能全是数字，须同时包含字母和数字。"),
])
def test_django_s_password_checks_speak_plain_chinese(db, password, message):
    from singlewindow.accounts.models import User

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password(password, User(username="bossboss"))
    assert message in refused.value.messages
    assert not any("密码跟 " in text for text in refused.value.messages)
