"""Request helpers shared by views."""
import ipaddress

from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

from singlewindow.validators import is_storable, storable


def client_ip(request):
    """The caller's address; behind our own proxy (settings.TRUSTED_PROXIES) the forwarded one."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in getattr(settings, "TRUSTED_PROXIES", ()):
        remote = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return None


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
    This one reads nothing of the request."""
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
