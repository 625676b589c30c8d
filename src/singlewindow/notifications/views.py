from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role

from . import services


@role_required(Role.ENTERPRISE)
@require_GET
def popup(request):
    """The lower-right 通知 popup; htmx polls it so it refreshes without reloading the page."""
    return render(request, "notifications/popup.html", services.popup_for(request.user))


@role_required(Role.ENTERPRISE)
@require_POST
def dismiss(request):
    services.dismiss(request.user)
    return render(request, "notifications/popup.html", {"show": False})
