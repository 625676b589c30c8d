"""The template renderer with hostile input: only the four placeholders are filled, each exactly once and as plain
text; anything else between braces is refused with a message naming the field; nothing ever raises."""
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from singlewindow.reminders import rendering

NAMES = st.sampled_from(rendering.PLACEHOLDERS)
LITERAL = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30)
ANY_VALUE = st.one_of(st.text(max_size=30), st.sampled_from(["{保单号}", "{企业名称}", "{0.__class__}", "{{", "}"]),
                      st.integers())
VALUES = st.fixed_dictionaries({name: ANY_VALUE for name in rendering.PLACEHOLDERS})


@given(text=st.text(max_size=200))
def test_any_text_is_either_refused_or_rendered_never_an_error(text):
    found = rendering.problems(text, "正文")
    assert all(message.startswith("正文中的") for message in found)
    if not found:
        rendering.render(text, rendering.values_for(enterprise_name="甲", number="1",
                                                    deadline=datetime.date(2027, 3, 5), days_left=3))


@given(parts=st.lists(st.one_of(LITERAL, NAMES.map(lambda n: ("placeholder", n))), max_size=12), values=VALUES)
def test_each_placeholder_becomes_its_value_as_plain_text_once(parts, values):
    text = "".join(f"{{{p[1]}}}" if isinstance(p, tuple) else p for p in parts)
    assert rendering.problems(text, "正文") == []
    expected = "".join(str(values[p[1]]) if isinstance(p, tuple) else p for p in parts)
    assert rendering.render(text, values) == expected  # a value holding "{保单号}" is not filled again


@given(before=LITERAL, inside=st.text(max_size=20).filter(lambda t: t not in rendering.PLACEHOLDERS), after=LITERAL)
def test_anything_else_between_braces_is_refused(before, inside, after):
    assert rendering.problems(f"{before}{{{inside}}}{after}", "标题")


@given(text=st.text(alphabet="{}企业名称保单号 x0._[]:!", max_size=40))
def test_stray_braces_are_refused(text):
    leftover = rendering._TOKEN.sub("", text)
    if "{" in leftover or "}" in leftover:
        assert rendering.problems(text, "正文")


@pytest.mark.parametrize("hostile", [
    "{0.__class__}", "{企业名称.__class__}", "{企业名称[0]}", "{剩余天数:>10}", "{剩余天数!r}", "{}", "{ 企业名称 }",
    "{__import__('os')}", "{{企业名称}}", "{企业名称", "企业名称}", "{%s}" % ("x" * 500),
])
def test_hostile_templates_are_refused_naming_the_field(hostile):
    found = rendering.problems(hostile, "标题")
    assert found and all(message.startswith("标题中的") for message in found)
    assert rendering.render(hostile, {"企业名称": "甲"}).count("甲") <= hostile.count("{企业名称}")


def test_an_unknown_placeholder_is_named_and_the_known_ones_listed():
    assert rendering.problems("您好 {公司名称}", "正文") == [
        "正文中的 {公司名称} 不是可用的占位符。可用的占位符：{企业名称}、{保单号}、{确认截止日}、{剩余天数}。"]
    assert rendering.problems("{保单号}：{企业名称}（{确认截止日}，{剩余天数} 天）", "正文") == []
