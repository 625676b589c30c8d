"""Request helpers shared by views."""
import ipaddress

from django.conf import settings


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

