from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from singlewindow.validators import CONTACT_NAME_MAX_LENGTH, contact_name_too_long

from .models import REASON_MAX_LENGTH, reason_missing, reason_too_long

# in the language of the request that shows them
_reason_too_long, _contact_name_too_long = lazy(reason_too_long, str), lazy(contact_name_too_long, str)
_reason_missing = lazy(reason_missing, str)


class TelInput(forms.TextInput):
    input_type = "tel"  # phones get the dial pad


class ConfirmForm(forms.Form):
    contact_name = forms.CharField(label=_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH, error_messages={
        "required": _("请填写联系人。"), "max_length": _contact_name_too_long()},
        widget=forms.TextInput({"autocomplete": "name"}))
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30, error_messages={
        "required": _("请填写联系电话。"), "max_length": _("联系电话过长。")},
        widget=TelInput({"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("11位手机号，或带区号的固定电话，如 0660-3379016。"))
    contact_email = forms.EmailField(label=_("电子邮箱"), required=False, max_length=254, error_messages={
        "invalid": _("电子邮箱格式不正确，例如 name@example.com。")}, widget=forms.EmailInput({"autocomplete": "email"}))
    # The 已认真阅读以上内容并同意 checkbox (id_agreement) posts the hash of the agreement text it showed.
    agreement_sha256 = forms.CharField(label=_("服务协议"), required=False, max_length=64,
                                       widget=forms.TextInput(attrs={"id": "id_agreement"}))
    error_fields = {"agreement": "agreement_sha256"}  # services.confirm reports this field as "agreement"


class ReasonForm(forms.Form):
    """放弃投保's reason; with prefix "return" or "cancel" the insurer's 退回 / 撤销, a smaller box under its label."""

    reason = forms.CharField(label=_("原因"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _reason_missing(), "max_length": _reason_too_long()})
    insurer_labels = {"return": _("退回原因"), "cancel": _("撤销原因")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.prefix in self.insurer_labels:
            self.fields["reason"].label = self.insurer_labels[self.prefix]
            self.fields["reason"].widget.attrs["rows"] = 2
        if self.prefix == "return":  # what the enterprise is to correct, highlighted on its confirm form
            from .services import CORRECTABLE

            self.fields["to_correct"] = forms.MultipleChoiceField(
                label=_("需要企业修改的内容"), required=False, choices=list(CORRECTABLE.items()),
                widget=forms.CheckboxSelectMultiple)


class IssueForm(forms.Form):
    scheme = forms.ModelChoiceField(label=_("投保方案"), queryset=None, empty_label=None, error_messages={
        "required": _("请选择本机构开放出单的投保方案。"), "invalid_choice": _("请选择本机构开放出单的投保方案。")})
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    exception = forms.BooleanField(label=_("例外出单"), required=False, help_text=_(
        "企业不符合本方案条件而确需出单时勾选，并写明原因；原因记入审计日志。"))
    exception_reason = forms.CharField(label=_("例外出单原因"), required=False, max_length=REASON_MAX_LENGTH,
                                       widget=forms.Textarea(attrs={"rows": 3}),
                                       error_messages={"max_length": _reason_too_long()})
    error_fields = {"enterprise": "uscc", "reason": "exception_reason"}  # services.issue's names

    def __init__(self, *args, schemes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes
        if not schemes.exists():
            self.fields["scheme"].help_text = _("本机构当前没有开放出单的投保方案。")
