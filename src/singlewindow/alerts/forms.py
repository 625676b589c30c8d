"""The insurer's alert form and the withdrawal reason. The rules across fields are services.check_draft's."""
from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.claims.models import Country
from singlewindow.forms import message_label, record_id
from singlewindow.policies.models import REASON_MAX_LENGTH, reason_too_long
from singlewindow.validators import no_markup

from . import services
from .models import Alert

_reason_too_long = lazy(reason_too_long, str)  # in the language of the request that shows it
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RecordChoices(forms.ModelMultipleChoiceField):
    """Chosen records by id: an id no integer column can hold ("abc", 30 digits) is a wrong choice, not a query."""

    def clean(self, value):
        if value and any(record_id(pk) is None for pk in value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                        params={"value": ""})
        return super().clean(value)


class AlertForm(forms.ModelForm):
    buyers = RecordChoices(queryset=None, required=False, label=gettext_lazy("涉及买方"),
                           widget=forms.SelectMultiple(attrs={"size": 6}))

    class Meta:
        model = Alert
        fields = ["title", "level", "kind", "body", "countries", "buyers", "industries", "audience", "counties",
                  "valid_from", "valid_until"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 6}), "level": forms.RadioSelect, "audience": forms.RadioSelect,
            "countries": forms.SelectMultiple(attrs={"size": 6}), "counties": forms.CheckboxSelectMultiple,
            "valid_from": DATE, "valid_until": DATE,
        }
        help_texts = {
            "countries": gettext_lazy("可多选（按住 Ctrl 或 ⌘ 点选）。"),
            "buyers": gettext_lazy("本机构服务区域内企业的买方；已合并的买方按保留的买方计。"),
            "industries": gettext_lazy("如：家具、陶瓷；多个行业用顿号分隔。"),
            "valid_until": gettext_lazy("含当日（北京时间）；过了这一天，预警转入企业的“已过期”。"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        branch = user.insurer_branch
        self.fields["countries"].queryset = Country.objects.order_by("name_zh")
        self.fields["buyers"].queryset = services.selectable_buyers(user).select_related("country")
        self.fields["counties"].queryset = services.branch_counties(branch)
        self.fields["level"].choices = Alert.Level.choices  # radios: no empty "---------" choice
        self.fields["audience"].choices = Alert.Audience.choices
        for field in self.fields.values():
            label = message_label(field.label)
            chosen = isinstance(field.widget, (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple))
            field.error_messages.update({
                "required": (_("请选择%(label)s。") if chosen else _("请填写%(label)s。")) % {"label": label},
                "invalid_choice": _("请从列表中选择%(label)s。") % {"label": label},
                "invalid_pk_value": _("请从列表中选择%(label)s。") % {"label": label},
                "invalid_list": _("请从列表中选择%(label)s。") % {"label": label},
                "invalid": _("%(label)s格式不正确，例如 2026-05-01。") % {"label": label},
            })
            if getattr(field, "max_length", None):
                field.error_messages["max_length"] = _("%(label)s不能超过 %(n)d 个字。") % {
                    "label": label, "n": field.max_length}
            if type(field) is forms.CharField:
                field.validators.append(no_markup)


class WithdrawForm(forms.Form):
    """撤回's reason: the policies' reason rule (services.check_reason); kept with the alert and shown to the
    enterprises it reached, on the page its notices still open."""

    reason = forms.CharField(label=gettext_lazy("撤回原因"), max_length=REASON_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("收到该预警的企业打开其通知时，会看到撤回时间和撤回原因。"),
                             error_messages={"required": gettext_lazy("请填写撤回原因。"),
                                             "max_length": _reason_too_long()})
