"""The bureau's forms: whom to remind and how, a template, a scheme's schedule. The rules are services'."""
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.forms import message_label, record_id
from singlewindow.validators import no_markup

from . import rendering, services
from .models import Channel


class RecordChoice(forms.ModelChoiceField):
    """A chosen record by id: an id no integer column can hold ("abc", 30 digits) is a wrong choice, not a query."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if record_id(value) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def _messages(form):
    """Every field's errors in Chinese, naming the field."""
    for field in form.fields.values():
        label = message_label(field.label)
        chosen = isinstance(field.widget, (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple))
        field.error_messages.update({
            "required": (_("请选择%(label)s。") if chosen else _("请填写%(label)s。")) % {"label": label},
            "invalid_choice": _("请从列表中选择%(label)s。") % {"label": label},
            "invalid_list": _("请从列表中选择%(label)s。") % {"label": label},
            "invalid": _("%(label)s请填写整数。") % {"label": label},
            "min_value": _("%(label)s不能小于 %(limit_value)s。") % {"label": label, "limit_value": "%(limit_value)s"},
            "max_value": _("%(label)s不能大于 %(limit_value)s。") % {"label": label, "limit_value": "%(limit_value)s"},
        })
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = _("%(label)s不能超过 %(n)d 个字。") % {
                "label": label, "n": field.max_length}


class RecipientForm(forms.Form):
    """发送提醒: the filter over the bureau's own policies, the template and the channels."""

    scheme = RecordChoice(label=gettext_lazy("投保方案"), queryset=None, empty_label=None)
    county = forms.ChoiceField(label=gettext_lazy("县区"), required=False)
    statuses = forms.MultipleChoiceField(label=gettext_lazy("保单状态"), widget=forms.CheckboxSelectMultiple)
    within_days = forms.IntegerField(
        label=gettext_lazy("确认截止日在几天内"), required=False, min_value=0, max_value=366,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=gettext_lazy("如填 7：只提醒确认截止日在今天起 7 天内（含当日）的保单；留空表示不限。"))
    template = RecordChoice(label=gettext_lazy("提醒模板"), queryset=None, empty_label=None)
    channels = forms.MultipleChoiceField(label=gettext_lazy("发送方式"), choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple, help_text=gettext_lazy(
                                             "短信和电子邮件发往企业在保单上填写的联系人，没有时发往企业账号的手机和邮箱。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        region = services.bureau_region(user)
        self.fields["scheme"].queryset = services.open_schemes(user)
        counties = list(services.counties_of(region))
        self.fields["county"].choices = ([("", _("全部县区"))] if len(counties) > 1 else []) + [
            (c.pk, c.name) for c in counties]
        self.fields["statuses"].choices = [(s.value, s.label) for s in services.STATUSES]
        self.fields["template"].queryset = services.templates_for(user)
        self.fields["template"].label_from_instance = lambda t: t.name if t.region_id == region.pk else str(t)
        self.initial.setdefault("statuses", [services.STATUSES[0].value])
        self.initial.setdefault("channels", list(Channel.values))
        _messages(self)

    def query(self):
        """The filter's fields as (name, value) pairs, for the second step and the links."""
        data = self.cleaned_data
        pairs = [("scheme", data["scheme"].pk), ("county", data["county"] or "")]
        pairs += [("statuses", s) for s in data["statuses"]]
        pairs += [("within_days", "" if data["within_days"] is None else data["within_days"]),
                  ("template", data["template"].pk)]
        return pairs + [("channels", c) for c in data["channels"]]


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("模板名称"), max_length=50)
    subject = forms.CharField(label=gettext_lazy("标题"), max_length=100, help_text=gettext_lazy(
        "站内通知和电子邮件的标题。"))
    body = forms.CharField(label=gettext_lazy("正文"), max_length=500, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=gettext_lazy("短信和电子邮件的内容。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        usable = _("可用的占位符：%(known)s。") % {"known": rendering.listed()}
        for name in ("subject", "body"):
            self.fields[name].help_text = f"{self.fields[name].help_text}{usable}"
        for field in self.fields.values():
            field.validators.append(no_markup)
        _messages(self)


class ScheduleForm(forms.Form):
    days = forms.CharField(label=gettext_lazy("提前天数"), max_length=100, help_text=gettext_lazy(
        "确认截止日前第几天自动提醒，多个用逗号分隔，如 14,3；0 表示截止日当天。"))
    template = RecordChoice(label=gettext_lazy("提醒模板"), queryset=None, empty_label=None)
    channels = forms.MultipleChoiceField(label=gettext_lazy("发送方式"), choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple)
    enabled = forms.BooleanField(label=gettext_lazy("启用定时提醒"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = services.templates_for(user)
        self.initial.setdefault("channels", list(Channel.values))
        self.initial.setdefault("enabled", True)
        _messages(self)
