"""The commerce bureau's workbench: 统计分析 (the dashboard)."""
from django.shortcuts import render
from django.views.decorators.http import require_GET

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.http import attachment
from singlewindow.policies.models import PolicyStatus
from singlewindow.spreadsheets import XLSX_TYPE

from . import figures


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
