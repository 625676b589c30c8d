"""The rows of 统计分析's county tables, written in Python: a province has about 120 counties, and the same rows as
templates cost 60 ms a page (the template engine's per-tag work and floatformat, some 2,500 cells); this is the
same markup in a few ms. Every value is escaped; the row is marked safe once."""
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django import template
from django.utils.safestring import mark_safe

from singlewindow.enterprises.templatetags.money import format_money

register = template.Library()
TENTH = Decimal("0.1")


def percent(value):
    """A rate in %, one decimal rounded half up as floatformat:1 rounds it, or — when there is none."""
    return "—" if value is None else f"{Decimal(repr(value)).quantize(TENTH, ROUND_HALF_UP)}%"


def _td(value, nowrap=False):
    return f'<td class="text-end{" sw-nowrap" if nowrap else ""}">{escape(str(value))}</td>'


@register.simple_tag
def county_line(row, head, code=""):
    """One county (or the total) of the main table: eligible, each status, issued, the rates, money, claims."""
    code_html = f' <span class="text-muted small">{escape(code)}</span>' if code else ""
    return mark_safe("".join([
        f'<tr><th scope="row">{escape(str(head))}{code_html}</th>', _td(row.eligible),
        *(_td(n) for n in row.by_status()), f'<td class="text-end" data-col="issued">{row.issued:d}</td>',
        _td(percent(row.take_up)), _td(percent(row.confirm_rate)), _td(format_money(row.premium), True),
        _td(format_money(row.province), True), _td(format_money(row.city), True), _td(row.notices),
        _td(format_money(row.paid_usd), True), "</tr>"]))


@register.simple_tag
def uptake_line(row):
    """One county of the chart's data table: 参保率 and 确认率."""
    return mark_safe(f'<tr><th scope="row">{escape(str(row.name))}</th>{_td(percent(row.take_up))}'
                     f'{_td(percent(row.confirm_rate))}</tr>')
