"""The first check of a service that one role may call: anyone else is refused (a 403, never a hint)."""
from django.core.exceptions import PermissionDenied


def require_role(actor, role):
    if getattr(actor, "role", None) != role:
        raise PermissionDenied
