"""{% status_badge policy %}: a policy's status as a badge whose colour follows the status and whose text says it
(colour is never the only sign). One colour per status, so every page tells them apart the same way."""
from django import template
from django.utils.html import format_html

from singlewindow.policies.models import PolicyStatus as S

register = template.Library()

COLOURS = {
    S.PENDING: "text-bg-warning",  # the enterprise has to act
    S.RETURNED: "text-bg-danger",  # the enterprise has to act again
    S.CONFIRMED: "text-bg-info",  # the insurer has to act
    S.EFFECTIVE: "text-bg-success",
    S.EXPIRED: "text-bg-primary",  # ran its course
    S.DECLINED: "text-bg-dark",
    S.CANCELLED: "text-bg-secondary",
    S.LAPSED: "text-bg-light border",
}


@register.simple_tag
def status_badge(policy):
    return status_value_badge(policy.status)


@register.simple_tag
def status_value_badge(status):
    """The same badge from a status value (a list that annotated the status rather than load the policy)."""
    return format_html('<span class="badge {}" data-testid="policy-status" data-status="{}">{}</span>',
                       COLOURS.get(status, "text-bg-secondary"), status, S(status).label)
