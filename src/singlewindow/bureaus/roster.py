"""企业名单: the enterprises of the bureau's region under one scheme, with their basis-year exports, whether
they meet the scheme's conditions, their policy and the contacts they gave; filtered, searched, paged by key
(no OFFSET, no COUNT: the pages stay as fast at the 2,000th as at the first) and exported as .xlsx.

符合条件 here is the scheme's rule without its "no policy of its own" term (eligibility.conditions_met): an
enterprise issued this scheme's policy still meets the conditions it was issued on.
"""
import re

from django import forms
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.enterprises import eligibility as eligibility_rule
from singlewindow.enterprises.identifiers import normalise_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.policies.models import PolicyStatus, Scheme
from singlewindow.regions.models import Region, within
from singlewindow.spreadsheets import XlsxWriter
from singlewindow.validators import no_markup

PAGE_SIZE = 50
AFTER = re.compile(r"[0-9A-Z]{1,18}")  # a USCC (the key the pages walk)
NO_POLICY = "none"


class RosterFilter(forms.Form):
    scheme = forms.ModelChoiceField(
        label=gettext_lazy("投保方案"), queryset=Scheme.objects.none(), required=False, empty_label=None,
        error_messages={"invalid_choice": gettext_lazy("请选择列表中的投保方案。")})
    county = forms.ModelChoiceField(
        label=gettext_lazy("县区"), queryset=Region.objects.none(), required=False,
        empty_label=gettext_lazy("全部县区"), error_messages={"invalid_choice": gettext_lazy("请选择辖区内的县区。")})
    status = forms.ChoiceField(label=gettext_lazy("保单状态"), required=False, choices=())
    eligibility = forms.ChoiceField(
        label=gettext_lazy("资格"), required=False,
        choices=[("", gettext_lazy("全部")), ("yes", gettext_lazy("符合条件")), ("no", gettext_lazy("不符合条件"))],
        error_messages={"invalid_choice": gettext_lazy("请选择列表中的资格。")})
    q = forms.CharField(label=gettext_lazy("企业名称或统一社会信用代码"), required=False, max_length=100,
                        validators=[no_markup])
    after = forms.CharField(required=False, max_length=18, widget=forms.HiddenInput)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user).select_related("region").order_by(
            "-cover_start", "name")
        self.fields["county"].queryset = counties_of(user)
        self.fields["status"].choices = [("", _("全部")), (NO_POLICY, _("未出单")), *PolicyStatus.choices]
        self.fields["status"].error_messages["invalid_choice"] = _("请选择列表中的保单状态。")

    def clean_after(self):
        after = self.cleaned_data["after"]
        if after and not AFTER.fullmatch(after):
            raise forms.ValidationError(_("翻页参数无效，请从第一页重新查看。"))
        return after


def counties_of(user):
    """The county-level divisions of the reader's region (a county bureau: its own; the administrator: all)."""
    from singlewindow.accounts.models import Role

    counties = Region.objects.filter(level=Region.Level.COUNTY).order_by("code")
    if user.role == Role.STAFF:
        return counties
    if user.role == Role.BUREAU and user.region_id:
        return counties.filter(code__startswith=user.region.prefix)
    return counties.none()


def roster(user, scheme, *, county=None, status="", eligibility="", q=""):
    """The enterprises `user` may see in `scheme`'s region, each with its exports and this scheme's policy
    (joined once), in USCC order (the key the pages walk). mark_eligible() then says who meets the conditions."""
    enterprises = (Enterprise.objects.visible_to(user).filter(region__code__startswith=scheme.region.prefix)
                   .select_related("region")
                   .annotate(policy=FilteredRelation("policies", condition=Q(policies__scheme=scheme))))
    if county is not None:
        enterprises = enterprises.filter(within([county]))
    if status == NO_POLICY:
        enterprises = enterprises.filter(policy__isnull=True)
    elif status:
        enterprises = enterprises.filter(policy__status=status)
    if eligibility:
        condition = eligibility_rule.conditions_met(scheme)
        enterprises = enterprises.filter(condition if eligibility == "yes" else ~condition)
    if q:
        uscc = normalise_uscc(q)
        by_key = Q(uscc__startswith=uscc) if uscc else Q(pk__in=[])
        enterprises = enterprises.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | by_key)
    record = ExportRecord.objects.filter(enterprise=OuterRef("pk"), year=scheme.basis_year)
    fields = {f"policy_{name}": F(f"policy__{name}") for name in (
        "id", "number", "status", "contact_name", "contact_phone", "contact_email")}
    return enterprises.annotate(export_usd=Subquery(record.values("export_usd")[:1]), **fields).order_by("uscc")


def mark_eligible(rows, scheme):
    """Set `eligible` on each of `rows` (a page: one query for all of them, by primary key, not a scan)."""
    meeting = set(Enterprise.objects.filter(pk__in=[row.pk for row in rows])
                  .filter(eligibility_rule.conditions_met(scheme)).values_list("pk", flat=True))
    for row in rows:
        row.eligible = row.pk in meeting
    return rows


def page(rows, scheme, after=""):
    """(the page's rows, the key of the next page or "")."""
    if after:
        rows = rows.filter(uscc__gt=after)
    found = mark_eligible(list(rows[:PAGE_SIZE + 1]), scheme)
    return found[:PAGE_SIZE], (found[PAGE_SIZE - 1].uscc if len(found) > PAGE_SIZE else "")


def status_label(value):
    return PolicyStatus(value).label if value else _("未出单")


def _marked_in_chunks(rows, scheme, size=2000):
    chunk = []
    for row in rows.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield from mark_eligible(chunk, scheme)
            chunk = []
    yield from mark_eligible(chunk, scheme)


def workbook(rows, scheme):
    """Every row of the filtered roster as an .xlsx (bytes), with the contacts the enterprise gave, cells
    neutralised."""
    sheet = XlsxWriter(_("企业名单"))
    sheet.writerow([_("投保方案"), scheme.name])
    sheet.writerow([_("统一社会信用代码"), _("企业名称"), _("县区代码"), _("县区"),
                    _("%(year)s 年度出口额（美元）") % {"year": scheme.basis_year}, _("资格"), _("保单号"),
                    _("保单状态"), _("联系人"), _("联系电话"), _("电子邮箱")])
    for row in _marked_in_chunks(rows, scheme):
        sheet.writerow([row.uscc, row.name, row.region_id, row.region.name, row.export_usd,
                        _("符合条件") if row.eligible else _("不符合条件"), row.policy_number or "",
                        status_label(row.policy_status), row.policy_contact_name or "",
                        row.policy_contact_phone or "", row.policy_contact_email or ""])
    return sheet.getvalue()
