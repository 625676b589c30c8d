"""A reminder template's placeholders, checked and filled without str.format.

A bureau types the template; str.format on it would read attributes and items of the values ("{0.__class__}",
"{x[0]}"), and an enterprise's name holding "{保单号}" must not be expanded again. So the text is split once
into literal runs and placeholders: a placeholder is one of PLACEHOLDERS between a pair of braces, exactly; any
other brace is a mistake named with its field. Filling replaces each placeholder by its value as plain text,
in one pass.
"""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ENTERPRISE, NUMBER, DEADLINE, DAYS_LEFT = "企业名称", "保单号", "确认截止日", "剩余天数"
PLACEHOLDERS = (ENTERPRISE, NUMBER, DEADLINE, DAYS_LEFT)
_TOKEN = re.compile(r"\{([^{}]*)\}")


def listed():
    """{企业名称}、{保单号}、… for messages and help texts."""
    return _("、").join(f"{{{name}}}" for name in PLACEHOLDERS)


def problems(text, label):
    """What is wrong with the placeholders of `text` (the field called `label`), as messages; [] when none."""
    text = text or ""
    found = []
    unknown = [name for name in _TOKEN.findall(text) if name not in PLACEHOLDERS]
    for name in dict.fromkeys(unknown):
        shown = name if len(name) <= 20 else name[:20] + "…"
        found.append(_("%(field)s中的 {%(name)s} 不是可用的占位符。可用的占位符：%(known)s。") % {
            "field": label, "name": shown, "known": listed()})
    if "{" in _TOKEN.sub("", text) or "}" in _TOKEN.sub("", text):
        found.append(_("%(field)s中的大括号只能用于占位符，须成对出现，如 {企业名称}。") % {"field": label})
    return found


def check(text, label):
    """ValidationError naming the field `label` when `text`'s placeholders are not all known and well formed."""
    found = problems(text, label)
    if found:
        raise ValidationError(found, code="placeholder")


def render(text, values):
    """`text` with each known placeholder replaced by str(values[name]); nothing else changes. A value is never
    read as a template itself, and an unknown placeholder (text not checked) is left as it was."""

    def fill(match):
        name = match.group(1)
        return str(values[name]) if name in PLACEHOLDERS and name in values else match.group(0)

    return _TOKEN.sub(fill, text or "")


def values_for(*, enterprise_name, number, deadline, days_left):
    return {ENTERPRISE: enterprise_name, NUMBER: number, DEADLINE: deadline.isoformat(), DAYS_LEFT: days_left}
