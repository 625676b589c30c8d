from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from singlewindow.http import client_ip, safe_next_path
from singlewindow.refusals import attempt

from . import services
from .decorators import role_required
from .forms import BindForm, QuickRegisterForm
from .models import Role


def _next_url(request):
    return safe_next_path(request) or "policies:list"


@role_required(Role.ENTERPRISE)
@require_http_methods(["GET", "POST"])
def bind(request):
    """老用户账号绑定: bind an existing local account, or 快速注册 one prefilled from the enterprise."""
    user = request.user
    if user.local_account_id:
        return redirect(_next_url(request))
    enterprise = user.enterprise
    bind_form = BindForm(prefix="bind")
    register_form = QuickRegisterForm(
        prefix="reg", initial={"contact_name": enterprise.legal_representative, "contact_phone": user.mobile,
                               "email": user.email},
    )
    active = request.POST.get("mode", "bind")
    status = 400 if request.method == "POST" else 200
    if request.method == "POST":
        form = BindForm(request.POST, prefix="bind") if active == "bind" else QuickRegisterForm(request.POST, prefix="reg")
        if form.is_valid():
            # Bound meanwhile (another tab): the Refused is said at the top of the form, like a wrong answer.
            with attempt(request, form, refused_on_form=True) as tried:
                if active == "bind":
                    services.bind_existing(user, ip=client_ip(request), **form.cleaned_data)
                    messages.success(request, _("账号绑定成功。"))
                else:
                    services.quick_register(user, ip=client_ip(request), **form.cleaned_data)
                    messages.success(request, _("本地账号注册并绑定成功。"))
                return redirect(_next_url(request))
            if getattr(tried.invalid, "code", None) == "locked_out":
                status = settings.AXES_HTTP_RESPONSE_CODE
        if active == "bind":
            bind_form = form
        else:
            register_form = form
    return render(request, "accounts/bind.html", {
        "bind_form": bind_form, "register_form": register_form, "active": active,
        "enterprise": enterprise, "next": request.POST.get("next") or request.GET.get("next", ""),
    }, status=status)
