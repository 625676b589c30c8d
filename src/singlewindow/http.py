"""Request helpers shared by views."""
import ipaddress

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


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
