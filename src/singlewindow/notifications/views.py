"""The 通知 popup and the 消息中心 of an enterprise's users."""
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.http import page_query

from . import services

# Sent with the popup when a notice arrived since the page last looked: pages listing policies reload them.
CHANGED_EVENT = "sw:policies-changed"


@role_required(Role.ENTERPRISE)
@require_GET
def popup(request):
    """The lower-right 通知 popup; htmx polls it, passing back the newest notice id it had seen."""
    context = services.popup_for(request.user)
    response = render(request, "notifications/popup.html", context)
    seen = request.GET.get("seen", "")
    if seen.isascii() and seen.isdigit() and int(seen) < context["latest"]:
        response["HX-Trigger"] = CHANGED_EVENT
    return response


@role_required(Role.ENTERPRISE)
@require_POST
def dismiss(request):
    services.dismiss(request.user)
    return render(request, "notifications/popup.html", {"show": False,
                                                        "latest": services.latest_notice_id(request.user)})


@role_required(Role.ENTERPRISE)
@require_GET
def center(request):
    """消息中心: every notice of the enterprise, unread ones marked, twenty a page."""
    page = Paginator(services.notices_for(request.user), 20).get_page(request.GET.get("page"))
    read = set(request.user.notices_read.filter(notice__in=[n.pk for n in page]).values_list("notice", flat=True))
    return render(request, "notifications/center.html", {
        "page": page, "read": read, "unread": services.unread_count(request.user), "keep": page_query(request),
    })


@role_required(Role.ENTERPRISE)
@require_POST
def open_notice(request, pk):
    """Mark one notice read and go to what it is about: its page (an alert, a claim) or its policy."""
    notices = services.notices_for(request.user)
    notice = get_object_or_404(notices, pk=pk)
    services.mark_read(request.user, notices.filter(pk=notice.pk))
    if notice.link:
        return redirect(notice.link)  # written by our services, always a path of ours
    return redirect("policies:detail", pk=notice.policy_id)


@role_required(Role.ENTERPRISE)
@require_POST
def read_all(request):
    services.mark_read(request.user, services.notices_for(request.user))
    return redirect("notifications:center")
