"""统计分析: policies by county and status in the reader's scope, with the 确认率, a total and an export.

One grouped COUNT over the scoped policies; everything else is arithmetic on its rows, so the page and
its .xlsx always show the same figures.
"""
from dataclasses import dataclass

from django import forms
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.regions.models import Region
from singlewindow.spreadsheets import XlsxWriter

from .models import Policy, PolicyStatus, Scheme
from .transitions import TAKEN_UP


class StatsFilter(forms.Form):
    scheme = forms.ModelChoiceField(
        label=gettext_lazy("投保方案"), queryset=Scheme.objects.none(), required=False,
        empty_label=gettext_lazy("全部方案"),
        error_messages={"invalid_choice": gettext_lazy("请选择列表中的投保方案。")},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user).order_by("-cover_start", "name")


@dataclass
class Line:
    code: str
    name: str
    cells: list

    @property
    def total(self):
        return sum(self.cells)

    @property
    def confirmed(self):
        """Policies taken up: confirmed, in force or run their course (the 确认率's numerator)."""
        return sum(n for status, n in zip(PolicyStatus, self.cells, strict=True) if status in TAKEN_UP)

    @property
    def uptake(self):
        """确认率 in %: taken up ÷ issued."""
        return self.confirmed * 100 / self.total if self.total else 0


def by_county(user, scheme=None):
    """(lines per county, the total line) of the policies `user` may see, of `scheme` if given."""
    policies = Policy.objects.visible_to(user)
    if scheme is not None:
        policies = policies.filter(scheme=scheme)
    table = {}
    for code, status, n in policies.values_list("enterprise__region", "status").annotate(n=Count("id")).order_by():
        table.setdefault(code, {})[status] = n
    names = dict(Region.objects.filter(pk__in=table).values_list("code", "name"))
    lines = [Line(code, names.get(code, code), [table[code].get(s, 0) for s in PolicyStatus]) for code in sorted(table)]
    total = Line("", _("合计"), [sum(line.cells[i] for line in lines) for i in range(len(PolicyStatus))])
    return lines, total


def workbook(lines, total, scheme=None):
    """The table as an .xlsx (bytes): the same columns and figures as the page, cells neutralised."""
    sheet = XlsxWriter(_("统计分析"))
    sheet.writerow([_("投保方案"), scheme.name if scheme else _("全部方案")])
    sheet.writerow([_("县区代码"), _("县区"), *[s.label for s in PolicyStatus], _("合计"), _("确认率（%）")])
    for line in [*lines, total]:
        sheet.writerow([line.code, str(line.name), *line.cells, line.total, round(line.uptake, 1)])
    return sheet.getvalue()
