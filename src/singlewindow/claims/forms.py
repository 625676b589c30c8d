"""The enterprise's forms of 报损与索赔: each only reads what the page sent (types, required fields) in the
language of the page; the rules themselves are the services' (claims/services.py), whose ValidationErrors come
back onto the same fields (singlewindow.forms.add_service_errors)."""
from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from singlewindow.policies.forms import ReasonForm, TelInput
from singlewindow.validators import CONTACT_NAME_MAX_LENGTH, contact_name_too_long

from . import iso
from .models import CREDIT_DAYS_MAX, DECLARATION_LENGTH, Buyer, Cause, Country, DocumentKind, PaymentTerms
from .services import TEXT_MAX_LENGTH

_contact_name_too_long = lazy(contact_name_too_long, str)


def _percent_lazy(message, **values):
    """`message % values` done when the text is read, in the language of the page, not once at import (a lazy
    string's % gives a plain string in the language of that moment)."""
    return lazy(lambda: message % values, str)()


def _required(label):
    return _percent_lazy(_("请填写%(label)s。"), label=label)

PICK = [("", _("请选择"))]


class DateInput(forms.DateInput):
    input_type = "date"  # the browser's date picker; it sends YYYY-MM-DD whatever the language

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label, **kwargs):
    return forms.DateField(label=label, input_formats=["%Y-%m-%d"], widget=DateInput(), error_messages={
        "required": _required(label), "invalid": _("请按“年-月-日”填写日期，如 2026-03-31。")},
        **kwargs)


def text_field(label, max_length, *, required=True, textarea=False, **kwargs):
    return forms.CharField(
        label=label, max_length=max_length, required=required,
        widget=forms.Textarea(attrs={"rows": 3}) if textarea else forms.TextInput(),
        error_messages={"required": _required(label),
                        "max_length": _percent_lazy(_("不能超过%(n)d个字。"), n=max_length)}, **kwargs)


def amount_field(label, **kwargs):
    """An amount as typed ("12,500.00" too): services._amount reads it, with its message."""
    return forms.CharField(label=label, max_length=30, widget=forms.TextInput({"inputmode": "decimal"}),
                           error_messages={"required": _required(label)}, **kwargs)


class BuyerForm(forms.Form):
    name_latin = text_field(_("买方名称（外文）"), 200, required=False,
                            help_text=_("外文名称与中文名称至少填写一项，按合同或发票上的写法。"))
    name_zh = text_field(_("买方名称（中文）"), 100, required=False)
    country = forms.ModelChoiceField(label=_("国家（地区）"), queryset=Country.objects.order_by("code"),
                                     empty_label=_("请选择"), error_messages={
                                         "required": _("请选择买方所在国家（地区）。"),
                                         "invalid_choice": _("请选择买方所在国家（地区）。")})
    address = text_field(_("地址"), 300, required=False)
    registration_no = text_field(_("注册号"), 50, required=False, help_text=_("买方在其所在国的公司注册号，如有。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].label_from_instance = lambda country: f"{country} {country.code}"


class NoticeForm(forms.Form):
    """可能损失通知: every field of services.NOTICE_FIELDS; cleaned_data is what services.file_notice takes."""

    buyer = forms.ModelChoiceField(label=_("买方"), queryset=Buyer.objects.none(), empty_label=_("请选择"),
                                   error_messages={"required": _("请选择买方（可先在“我的买方”中添加）。"),
                                                   "invalid_choice": _("请选择买方（可先在“我的买方”中添加）。")})
    contract_no = text_field(_("合同号"), 50)
    invoice_no = text_field(_("发票号"), 50)
    declaration_no = text_field(_("报关单号"), 30,
                                help_text=_percent_lazy(_("%(n)d位数字，见出口报关单。"), n=DECLARATION_LENGTH))
    shipment_date = date_field(_("出运日期"))
    currency = forms.ChoiceField(label=_("币种"), choices=iso.currency_choices, initial="USD", error_messages={
        "required": _("请选择发票币种（ISO 4217）。"), "invalid_choice": _("请选择发票币种（ISO 4217）。")})
    invoice_amount = amount_field(_("发票金额"))
    payment_terms = forms.ChoiceField(label=_("支付方式"), choices=PICK + PaymentTerms.choices, error_messages={
        "required": _("请选择支付方式。"), "invalid_choice": _("请选择支付方式。")})
    credit_days = forms.IntegerField(
        label=_("信用期限（天）"), min_value=0, max_value=CREDIT_DAYS_MAX,
        widget=forms.NumberInput({"inputmode": "numeric"}),
        help_text=_percent_lazy(_("自出运日（或提单日）起至应付款日的天数，最长%(n)d天。"), n=CREDIT_DAYS_MAX),
        error_messages={key: _percent_lazy(_("信用期限应为0至%(n)d天。"), n=CREDIT_DAYS_MAX)
                        for key in ("required", "invalid", "min_value", "max_value")})
    due_date = date_field(_("应付款日"), help_text=_("合同或发票约定的买方付款日。"))
    overdue_amount = amount_field(_("逾期金额"), help_text=_("买方到期未付的金额，不超过发票金额。"))
    cause = forms.ChoiceField(label=_("损失原因"), choices=Cause.choices, widget=forms.RadioSelect, error_messages={
        "required": _("请选择损失原因。"), "invalid_choice": _("请选择损失原因。")})
    collection_steps = text_field(_("已采取的催收措施"), TEXT_MAX_LENGTH, textarea=True,
                                  help_text=_("如：电话、邮件催收的日期和买方答复，委托追收情况等。"))
    contact_name = forms.CharField(label=_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH, error_messages={
        "required": _("请填写联系人。"), "max_length": _contact_name_too_long()},
        widget=forms.TextInput({"autocomplete": "name"}))
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, error_messages={
        "required": _("请填写联系电话。"), "max_length": _("联系电话过长。")},
        widget=TelInput({"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("11位手机号，或带区号的固定电话，如 0660-3379016。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = Buyer.objects.visible_to(user).select_related("country")


class MessageForm(forms.Form):
    body = text_field(_("答复内容"), TEXT_MAX_LENGTH, textarea=True)


class SettlementForm(forms.Form):
    plan = text_field(_("和解方案"), TEXT_MAX_LENGTH, textarea=True, help_text=_(
        "与买方达成和解（减免、分期、退货等）前须经保险公司书面同意。请写明金额、期限和条件。"))


class ClaimForm(forms.Form):
    claimed_amount = amount_field(_("索赔金额"))


class WithdrawForm(ReasonForm):
    """撤回's reason (the rules of 放弃投保's, the same messages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("撤回原因")


class DocumentForm(forms.Form):
    """One file for a row of the checklist (`kind`, hidden: each row has its own form), or for an item the insurer
    asked for (kind "requested" and the item's `request`)."""

    kind = forms.ChoiceField(choices=DocumentKind.choices, widget=forms.HiddenInput,
                             error_messages={"required": _("请选择材料类型。"), "invalid_choice": _("请选择材料类型。")})
    request = forms.CharField(required=False, widget=forms.HiddenInput)
    file = forms.FileField(label=_("文件"), error_messages={
        "required": _("请选择要上传的文件。"), "empty": _("所选文件是空的。"), "invalid": _("请选择要上传的文件。")})
