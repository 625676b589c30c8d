"""Request helpers shared by views."""
import functools
import ipaddress

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from singlewindow.validators import is_storable, storable


def client_ip(request):
    """The caller's address. Behind our own proxies (settings.TRUSTED_PROXIES: addresses or networks, the
    nginx hosts) it is the nearest address in X-Forwarded-For that is not one of them: each proxy appends
    the address it saw, so whatever stands further left was written by the client and proves nothing."""
    trusted = proxy_networks(tuple(settings.TRUSTED_PROXIES))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded.strip() else []
    address = None
    for hop in reversed([*hops, request.META.get("REMOTE_ADDR", "")]):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return None
        if not any(address in network for network in trusted):
            break
    return str(address) if address else None


@functools.lru_cache(maxsize=8)
def proxy_networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def safe_next_path(request):
    """The ?next= / POSTed next path when it is a path on this site, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: redirect() would take anything else for a URL name (NoReverseMatch, a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def bad_request(request, exception=None):
    """handler400, also the edge's answer. Django's default runs the CSRF check, which parses the body again:
    a body that made the 400 (e.g. a form declared charset=latin-1) would turn its own 400 page into a 500.
    This one reads nothing of the request. The API (/api/) answers in its own form, problem+json."""
    if request.path_info.startswith("/api/"):
        from singlewindow.api.problems import unreadable

        return unreadable()
    return HttpResponseBadRequest(render_to_string("400.html"))


def page_not_found(request, exception=None):
    """handler404 and handler403 render the site's pages without Django's CSRF check, for the same reason."""
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def server_error(request):
    """handler500, for the same reason: no CSRF check, no context processor, nothing from the request."""
    return HttpResponseServerError(render_to_string("500.html"))


class InputEdgeMiddleware:
    """Where untrusted input enters, before any view or middleware stores it. Header values (User-Agent,
    Accept, cookies...) are made storable: NUL and lone surrogates shown as U+FFFD, so axes' access log and
    the confirmation record keep them on PostgreSQL. A path or query string holding NUL is refused with 400.
    Form bodies are left to the forms, which refuse NUL naming the field (a refused card login is recorded)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and not is_storable(value):
                request.META[key] = storable(value)
        if not is_storable(request.path_info) or any(
            not is_storable(text) for key, values in request.GET.lists() for text in (key, *values)
        ):
            return bad_request(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's, letting pages reach the card agent on the user's PC: its address (settings.EPORT_AGENT_URL)
    is read per response, as the pages that connect to it read it."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        agent = settings.EPORT_AGENT_URL
        # Its http:// twin too: when the WebSocket fails, card.js asks whether anything listens there at all, to
        # tell "the control refuses this site's address" (EP-103) from "no control" (EP-101).
        parts.update = {**(parts.update or {}), "connect-src": [agent, agent_http_url(agent)]}
        return parts


def agent_http_url(ws_url):
    """ws://127.0.0.1:61232 → http://127.0.0.1:61232 (wss → https): the same listener, asked by fetch."""
    return "http" + ws_url[2:] if ws_url.startswith("ws") else ws_url


# --- the second step of an irreversible action ---------------------------------------------

def is_checked(request):
    """True when the POST comes from its check page (check_step): only then does an irreversible action act."""
    return request.POST.get("checked") == "1"


def check_step(request, *, title, summary, items=(), button, back_url, keep=()):
    """GOV.UK's check-your-answers before an irreversible step: what will happen (`summary`), what it applies to
    (`items`, lines of text), then `button` re-posts `keep` ((name, value) pairs) with checked=1, or back."""
    return render(request, "includes/check_step.html", {
        "title": title, "summary": summary, "items": items, "button": button, "back_url": back_url,
        "keep": keep, "action": request.get_full_path(),  # the query too: a page's context (a queue's filters)
    })


def page_query(request, **fixed):
    """The list's query string without its page (filters, search, `fixed` values set), for the pager's links."""
    query = request.GET.copy()
    query.pop("page", None)
    for name, value in fixed.items():
        query[name] = value
    return query.urlencode()


def attachment(content, *, filename, content_type):
    """A file the browser saves (an export, a template) rather than shows."""
    return HttpResponse(content, headers={"Content-Type": content_type,
                                          "Content-Disposition": f'attachment; filename="{filename}"'})
