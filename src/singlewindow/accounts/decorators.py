from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .models import Role


def role_required(*roles):
    """Logged in with one of `roles`; anyone else is sent to log in or refused."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


insurer_only = role_required(Role.INSURER)  # the insurer's workbench


def local_features(view):
    """A 地方特色应用 page: enterprise users bind a local account on their first visit (老用户账号绑定)."""

    @wraps(view)
    @role_required(Role.ENTERPRISE)
    def wrapped(request, *args, **kwargs):
        if request.user.local_account_id is None:
            bind = reverse("accounts:bind")
            if request.method != "GET":
                return redirect(bind)  # a form sent before binding cannot be replayed as a GET
            return redirect(f"{bind}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapped
