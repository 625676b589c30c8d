"""The commerce bureau's workbench: 统计分析 (the dashboard) and 企业名单."""
from django.shortcuts import render
from django.views.decorators.http import require_GET

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.http import attachment, page_query
from singlewindow.policies.models import PolicyStatus
from singlewindow.spreadsheets import XLSX_TYPE

from . import figures, roster


def _chart_data(board):
    """What static/bureaus/dashboard.js draws: the same figures as the tables beside the charts."""
    return {
        "counties": [str(row.name) for row in board.lines],
        "take_up": [None if row.take_up is None else round(row.take_up, 1) for row in board.lines],
        "confirm_rate": [None if row.confirm_rate is None else round(row.confirm_rate, 1) for row in board.lines],
        "days": [day.day.isoformat() for day in board.days],
        "confirmed": [day.confirmed for day in board.days],
        "cumulative": [day.cumulative for day in board.days],
        "deadline": board.scheme.confirm_deadline.isoformat(),
    }


@role_required(Role.BUREAU, Role.STAFF)
@require_GET
def dashboard(request):
    """统计分析 of one scheme: per county and in total, two charts with their tables, and an .xlsx."""
    form = figures.DashboardFilter(request.user, request.GET or None)
    valid = form.is_valid()
    scheme = (form.cleaned_data.get("scheme") if valid else None) or figures.default_scheme(request.user)
    context = {"form": form, "statuses": list(PolicyStatus), "board": None}
    if scheme is not None:
        data = form.cleaned_data if valid else {}
        board = figures.dashboard(request.user, scheme, data.get("start"), data.get("end"))
        if request.GET.get("format") == "xlsx" and valid:
            return attachment(figures.workbook(board), filename=f"dashboard-{scheme.pk}.xlsx",
                              content_type=XLSX_TYPE)
        context.update(board=board, chart=_chart_data(board))
    return render(request, "bureaus/dashboard.html", context, status=400 if form.errors else 200)


@role_required(Role.BUREAU, Role.STAFF)
@require_GET
def enterprise_list(request):
    """企业名单 of one scheme: filters, search, pages by key, and the filtered list as .xlsx."""
    form = roster.RosterFilter(request.user, request.GET)  # bound even when empty: no filter is a valid filter
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    scheme = data.get("scheme") or figures.default_scheme(request.user)
    context = {"form": form, "scheme": scheme, "rows": [], "next_after": "", "after": data.get("after", "")}
    if scheme is not None and valid:
        rows = roster.roster(request.user, scheme, county=data.get("county"), status=data.get("status", ""),
                             eligibility=data.get("eligibility", ""), q=data.get("q", ""))
        if request.GET.get("format") == "xlsx":
            return attachment(roster.workbook(rows, scheme), filename=f"enterprises-{scheme.pk}.xlsx",
                              content_type=XLSX_TYPE)
        context["rows"], context["next_after"] = roster.page(rows, scheme, data.get("after", ""))
        context["first_page"] = page_query(request, after="")
        context["next_page"] = page_query(request, after=context["next_after"])
    return render(request, "bureaus/enterprises.html", context, status=400 if form.errors else 200)
