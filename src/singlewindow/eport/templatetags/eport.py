from django import template
from django.conf import settings

from singlewindow.accounts.models import LoginMethod
from singlewindow.http import agent_http_url

from ..models import Card

register = template.Library()


@register.simple_tag
def eport_agent_url():
    """Where the page finds the 客户端控件 (settings.EPORT_AGENT_URL)."""
    return settings.EPORT_AGENT_URL


@register.simple_tag
def eport_agent_probe_url():
    """The same listener over plain HTTP: asked when the WebSocket fails, to tell EP-103 from EP-101."""
    return agent_http_url(settings.EPORT_AGENT_URL)


@register.simple_tag(takes_context=True)
def eport_session_card(context):
    """The card this session logged in with, or None (password users confirm without a card)."""
    request = context.get("request")
    if request is None or request.session.get("login_method") != LoginMethod.CARD:
        return None
    return Card.objects.filter(pk=request.session.get("eport_card"), user_id=request.user.pk).first()
