"""The forms of 申请拨付, 拨付审核, 预算管理 and 补贴台账. They only read what was typed; the rules are services.py's,
whose ValidationError lands on the field it names (singlewindow.forms.add_service_errors)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from singlewindow.policies.models import REASON_MAX_LENGTH, Scheme

from . import services
from .models import FundingApplication, Payer

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("请输入有效的日期，如 2026-03-31。")}
AMOUNT_ERRORS = {"invalid": _("请填写金额（元），最多两位小数。"), "max_digits": _("请填写金额（元），最多两位小数。"),
                 "max_decimal_places": _("请填写金额（元），最多两位小数。"),
                 "max_whole_digits": _("请填写金额（元），最多两位小数。")}


def amount_field(label):
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=0, localize=False,
                              error_messages={**AMOUNT_ERRORS, "min_value": _("金额不能为负数。")})


class NewApplicationForm(forms.Form):
    """新建拨付申请: the scheme, who is asked to pay (province or city, with its region) and the period."""

    scheme = forms.ModelChoiceField(label=_("投保方案"), queryset=Scheme.objects.none(), empty_label=None,
                                    error_messages={"invalid_choice": _("请选择本机构承保的方案。")})
    payer = forms.ChoiceField(label=_("资助方"), error_messages={"invalid_choice": _("请选择本方案的资助方。")})
    period_start = forms.DateField(label=_("期间起"), widget=DATE, error_messages=DATE_ERRORS)
    period_end = forms.DateField(label=_("期间止（含当日）"), widget=DATE, error_messages=DATE_ERRORS,
                                 help_text=_("列入期间内（按北京时间，首尾两日都含）审批生效、尚未列入其他申请的保单。"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schemes = Scheme.objects.visible_to(user).select_related("region").order_by("-cover_start", "name")
        self.fields["scheme"].queryset = schemes
        choices = {}
        for scheme in schemes:
            for payer, region in services.payers_of(scheme):
                choices[services.payer_key(payer, region.pk)] = f"{Payer(payer).label} · {region.name}"
        self.fields["payer"].choices = list(choices.items())

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("期间止不能早于期间起。"))
        return data


class InvoicesForm(forms.Form):
    invoices = forms.CharField(
        label=_("逐份填写发票号码"), widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}), max_length=1_000_000,
        help_text=_("每行一份：保单号、空格（或逗号）、发票号码，可从表格中整列粘贴。已填写的会被新号码替换。"))


class FillInvoicesForm(forms.Form):
    invoice_number = forms.CharField(
        label=_("统一发票号码"), max_length=services.INVOICE_MAX_LENGTH,
        help_text=_("一张发票覆盖其余保单时使用：只填入尚未填写发票号码的保单。"))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH)


class PayForm(forms.Form):
    paid_on = forms.DateField(label=_("拨付日期"), widget=DATE, error_messages=DATE_ERRORS)
    amount = amount_field(_("拨付金额（元）"))
    reference = forms.CharField(label=_("拨付凭证号"), max_length=60)


class ReconcileForm(forms.Form):
    note = forms.CharField(label=_("差额说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           max_length=services.NOTE_MAX_LENGTH,
                           help_text=_("拨付金额与申请金额不一致时必填。"))


class BudgetForm(forms.Form):
    scheme = forms.IntegerField(widget=forms.HiddenInput)
    payer = forms.ChoiceField(choices=Payer.choices, widget=forms.HiddenInput)
    amount = amount_field(_("预算（元）"))


class ApplicationFilter(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部状态")), *FundingApplication.Status.choices])


class LedgerFilter(forms.Form):
    scheme = forms.ModelChoiceField(label=_("投保方案"), queryset=Scheme.objects.none(), required=False,
                                    empty_label=None,
                                    error_messages={"invalid_choice": _("请选择列表中的投保方案。")})

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user).order_by("-cover_start", "name")
