"""One row of 保单审批's queue, written in Python (decision 0043): 50 rows as a template took 18 ms on this
project's machine, 11 ms this way. The same markup; every value is escaped and the row marked safe once."""
from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def queue_row(policy, bulk, queue_query=""):
    """The policy's row: its tick box when the tab decides in bulk (审批中), number, insured, USCC, county,
    the time of its last change, and 查看详情 keeping the queue's filters."""
    enterprise = policy.enterprise
    number = escape(policy.number)
    url = reverse("insurer:detail", args=[policy.pk]) + (f"?{queue_query}" if queue_query else "")
    tick = (f'<td><input class="form-check-input sw-pick" type="checkbox" name="policy" value="{policy.pk:d}" '
            f'aria-label="{number}"></td>') if bulk else ""
    return mark_safe(
        f'<tr>{tick}<td class="font-monospace">{number}</td><td>{escape(enterprise.name)}</td>'
        f'<td class="font-monospace">{escape(enterprise.uscc)}</td><td>{escape(str(enterprise.region))}</td>'
        f'<td class="sw-nowrap">{escape(date_format(localtime(policy.status_changed_at), "Y-m-d H:i"))}</td>'
        f'<td><a href="{escape(url)}">{escape(_("查看详情"))}</a></td></tr>')
