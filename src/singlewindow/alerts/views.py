"""The enterprise's 风险预警: current alerts, the archive, one alert, and a country's alerts."""
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.claims.models import Country
from singlewindow.http import page_query

from . import services
from .models import Alert


def _list(request, archived):
    today = timezone.localdate()  # one day for the tab, both counts and the 起 marks
    alerts = services.for_enterprise(request.user, archived=archived, today=today).select_related("branch")
    page = Paginator(alerts, 20).get_page(request.GET.get("page"))
    return render(request, "alerts/list.html", {
        "page": page, "archived": archived, "keep": page_query(request), "today": today,
        "current_count": services.for_enterprise(request.user, today=today).count(),
        "archived_count": services.for_enterprise(request.user, archived=True, today=today).count(),
    })


@role_required(Role.ENTERPRISE)
@require_GET
def alert_list(request):
    return _list(request, archived=False)


@role_required(Role.ENTERPRISE)
@require_GET
def archive(request):
    return _list(request, archived=True)


@role_required(Role.ENTERPRISE)
@require_GET
def alert_detail(request, pk):
    """Opening it is the read receipt (first time only) and reads its notice. A withdrawn alert that was sent to
    the enterprise says when and why it was withdrawn, not what it said; any other alert is not found."""
    alert = get_object_or_404(Alert.objects.delivered_to(request.user).select_related("branch"), pk=pk)
    services.record_read(request.user, alert)
    if alert.status == Alert.Status.WITHDRAWN:
        return render(request, "alerts/withdrawn.html", {"alert": alert})
    return render(request, "alerts/detail.html", {
        "alert": alert, "countries": alert.countries.order_by("name_zh"), "buyers": alert.buyers.all(),
        "expired": alert.expired(), "not_started": alert.not_started(),
    })


@role_required(Role.ENTERPRISE, Role.INSURER)
@require_GET
def country(request, code):
    """国别风险: the published alerts about one country that the viewer may see, current and past."""
    place = get_object_or_404(Country, code=code.upper())  # the URL admits two ASCII letters only
    current, past = services.concerning(request.user, place)
    return render(request, "alerts/country.html", {"country": place, "current": current, "past": past})
