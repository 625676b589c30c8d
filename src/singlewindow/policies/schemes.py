"""方案管理: create and edit a scheme with every setting of DESIGN.md §3 (the single-window administrator or the insurer)."""
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.forms import message_label
from singlewindow.http import client_ip
from singlewindow.regions.models import Region
from singlewindow.validators import no_markup

from . import services
from .models import CalendarRun, InsurerBranch, PremiumRule, Scheme

FIELDS = [
    "name", "region", "year", "basis_year", "threshold_usd", "insurer_branch", "cover_start", "cover_end",
    "confirm_deadline", "indemnity_ratio", "max_indemnity_usd", "risks_covered", "premium_rule", "premium_fixed",
    "premium_rate", "premium_min", "premium_max", "usd_cny_rate", "province_share", "city_share", "agreement",
    "notice_days", "claim_days", "recovery_restores_limit", "publication_required",
]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SchemeForm(forms.ModelForm):
    class Meta:
        model = Scheme
        fields = FIELDS
        widgets = {"cover_start": DATE, "cover_end": DATE, "confirm_deadline": DATE,
                   "risks_covered": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "indemnity_ratio": {"max_value": gettext_lazy("赔偿比例应在 0 至 100%% 之间。"),
                                "min_value": gettext_lazy("赔偿比例应在 0 至 100%% 之间。")},
            "province_share": {"max_value": gettext_lazy("资助比例应在 0 至 100%% 之间。"),
                               "min_value": gettext_lazy("资助比例应在 0 至 100%% 之间。")},
            "city_share": {"max_value": gettext_lazy("资助比例应在 0 至 100%% 之间。"),
                           "min_value": gettext_lazy("资助比例应在 0 至 100%% 之间。")},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # a list is chosen from, a box is filled in
            required = _("请选择%(label)s。") if isinstance(field.widget, forms.Select) else _("请填写%(label)s。")
            field.error_messages["required"] = required % {"label": message_label(field.label)}
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if type(field) is forms.CharField:  # the free texts (name, risks covered): the one text rule
                field.validators.append(no_markup)
            if isinstance(field, forms.DecimalField):  # Django's own messages name neither field nor bound
                whole = field.max_digits - field.decimal_places
                too_long = _("%(label)s最多 %(whole)d 位整数、%(places)d 位小数。") % {
                    "label": message_label(field.label), "whole": whole, "places": field.decimal_places}
                for code in ("max_digits", "max_whole_digits", "max_decimal_places"):
                    field.error_messages[code] = too_long
                field.error_messages["invalid"] = _("%(label)s应为数字。") % {"label": message_label(field.label)}
        regions = Region.objects.all()
        branches = InsurerBranch.objects.all()
        if user.role == Role.INSURER:
            branches = branches.filter(pk=user.insurer_branch_id)
            served = Q(pk__in=[])
            for region in user.insurer_branch.regions.all():
                served |= Q(code__startswith=region.prefix)
            regions = regions.filter(served)
        self.fields["region"].queryset = regions
        self.fields["insurer_branch"].queryset = branches
        self.fields["insurer_branch"].empty_label = None if user.role == Role.INSURER else "—"

    def clean(self):
        data = super().clean()
        get = data.get
        if get("basis_year") and get("year") and get("basis_year") > get("year"):
            self.add_error("basis_year", _("基准年度不能晚于方案年度（通常为上一年度）。"))
        if get("cover_start") and get("cover_end") and get("cover_end") < get("cover_start"):
            self.add_error("cover_end", _("保险期间止不能早于保险期间起。"))
        if get("confirm_deadline") and get("cover_end") and get("confirm_deadline") > get("cover_end"):
            self.add_error("confirm_deadline", _("确认截止日不能晚于保险期间止。"))
        for name in ("threshold_usd", "max_indemnity_usd"):
            if get(name) is not None and get(name) <= 0:
                self.add_error(name, _("%(label)s应大于零。") % {"label": self.fields[name].label})
        for name in ("premium_fixed", "premium_rate", "premium_min", "premium_max"):
            if get(name) is not None and get(name) < 0:
                self.add_error(name, _("%(label)s不能为负数。") % {"label": self.fields[name].label})
        if get("premium_rule") == PremiumRule.FIXED and get("premium_fixed") is not None and get("premium_fixed") <= 0:
            self.add_error("premium_fixed", _("按每户固定金额计收时，请填写每户保费。"))
        if get("premium_rule") == PremiumRule.RATE:
            if get("premium_rate") is not None and not Decimal(0) < get("premium_rate") <= Decimal(100):
                self.add_error("premium_rate", _("按费率计收时，费率应大于 0 且不超过 100%。"))
            if not get("usd_cny_rate") or get("usd_cny_rate") <= 0:
                self.add_error("usd_cny_rate", _("按费率计收时，请填写美元兑人民币汇率（大于零）。"))
            if get("premium_max") and get("premium_min") is not None and get("premium_max") < get("premium_min"):
                self.add_error("premium_max", _("最高保费不能低于最低保费（0 表示不设上限）。"))
        province, city = get("province_share"), get("city_share")
        if province is not None and city is not None and province + city != 100:
            self.add_error("city_share", _("省级与市级资助比例之和应为 100%%，当前为 %(sum)s%%。") % {
                "sum": f"{province + city:g}"})
        return data


def _schemes(user):
    return Scheme.objects.visible_to(user).select_related("region", "insurer_branch", "agreement")


scheme_managers = role_required(Role.INSURER, Role.STAFF)  # the insurer (its branch's) and the administrator


@scheme_managers
@require_GET
def scheme_list(request):
    schemes = _schemes(request.user).annotate(n_policies=Count("policies"))
    return render(request, "policies/schemes/list.html", {
        "schemes": schemes, "calendar": CalendarRun.objects.first(),
    })


@scheme_managers
@require_http_methods(["GET", "POST"])
def scheme_create(request):
    form = SchemeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        scheme = services.save_scheme(request.user, form.cleaned_data, ip=client_ip(request))
        messages.success(request, _("已创建投保方案“%(name)s”。") % {"name": scheme.name})
        return redirect("insurer:schemes")
    return render(request, "policies/schemes/form.html", {"form": form, "scheme": None},
                  status=400 if request.method == "POST" else 200)


@scheme_managers
@require_http_methods(["GET", "POST"])
def scheme_edit(request, pk):
    scheme = get_object_or_404(_schemes(request.user), pk=pk)
    if request.user.role == Role.INSURER and not request.user.insurer_branch_id:
        raise PermissionDenied
    form = SchemeForm(request.POST or None, instance=scheme, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.save_scheme(request.user, form.cleaned_data, scheme_id=scheme.pk, ip=client_ip(request))
        messages.success(request, _("已保存投保方案“%(name)s”。已出具的保单不受影响，新出单按新设置计算。")
                         % {"name": form.instance.name})
        return redirect("insurer:schemes")
    return render(request, "policies/schemes/form.html", {"form": form, "scheme": scheme},
                  status=400 if request.method == "POST" else 200)
