"""validators.clean_text: the one rule for a free-text field a person types (claims, subsidies, 名单公示, accounts)."""
import pytest
from django.core.exceptions import ValidationError

from singlewindow.validators import clean_text


def test_it_keeps_the_text_stripped_and_an_optional_blank_as_empty():
    assert clean_text("  货物已出运  ", max_length=10) == "货物已出运"
    assert clean_text("   ", required=False, max_length=10) == ""
    assert clean_text(None, required=False, max_length=10) == ""


@pytest.mark.parametrize("value, label, message, code", [
    ("  ", "姓名", "请填写姓名。", "required"),
    ("  ", None, "请填写此项。", "required"),
    ("李" * 51, "姓名", "姓名不能超过50个字。", "max_length"),
    ("李" * 51, None, "不能超过50个字。", "max_length"),
    ("<script>", "姓名", "不能包含 < > 等标记、控制字符或文字方向控制符。", "markup"),
    ("=1+1", None, "不能以 = + - @ 等公式符号开头。", "formula"),
])
def test_it_refuses_a_blank_long_or_marked_up_text_with_a_message_naming_the_field(value, label, message, code):
    with pytest.raises(ValidationError) as refused:
        clean_text(value, label, max_length=50)
    assert refused.value.messages == [message]
    assert refused.value.error_list[0].code == code


def test_with_a_field_its_error_is_keyed_by_that_field_as_a_form_shows_it():
    with pytest.raises(ValidationError) as refused:
        clean_text("", field="reference", max_length=60)
    assert refused.value.message_dict == {"reference": ["请填写此项。"]}
    assert refused.value.error_dict["reference"][0].code == "required"
