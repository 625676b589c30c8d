"""The token page's form: name, organisation (the administrator chooses; anyone else makes its own's), access,
expiry. The rules are tokens.create's; the form only reads the choices."""
import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.accounts.models import Role
from singlewindow.enterprises.models import Enterprise
from singlewindow.policies.models import InsurerBranch
from singlewindow.regions.models import Region

from . import tokens
from .models import ORGANISATION_ROLES, Access

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("令牌名称"), max_length=tokens.NAME_MAX_LENGTH,
                           help_text=gettext_lazy("对接的系统，例如“核心业务系统”。"),
                           error_messages={"required": gettext_lazy("请填写令牌名称（例如对接的系统）。")})
    role = forms.ChoiceField(label=gettext_lazy("机构类型"), choices=[(r.value, r.label) for r in ORGANISATION_ROLES])
    insurer_branch = forms.ModelChoiceField(label=gettext_lazy("保险公司机构"), queryset=InsurerBranch.objects.none(),
                                            required=False, empty_label=gettext_lazy("（选择机构）"))
    region = forms.ModelChoiceField(label=gettext_lazy("商务主管部门管辖区域"), queryset=Region.objects.none(),
                                    required=False, empty_label=gettext_lazy("（选择区域）"))
    uscc = forms.CharField(label=gettext_lazy("企业统一社会信用代码"), max_length=18, required=False)
    access = forms.ChoiceField(label=gettext_lazy("权限"), choices=Access.choices, initial=Access.WRITE,
                               widget=forms.RadioSelect)
    expires_on = forms.DateField(label=gettext_lazy("有效期至（含当日）"), widget=DATE,
                                 help_text=gettext_lazy("最长一年；到期后令牌自动失效。"),
                                 error_messages={"required": gettext_lazy("请填写有效期（日期）。"),
                                                 "invalid": gettext_lazy("请填写有效期（日期），例如 2026-12-31。")})

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["expires_on"].initial = timezone.localdate() + datetime.timedelta(days=90)
        self.staff = user.role == Role.STAFF
        if self.staff:
            self.fields["insurer_branch"].queryset = InsurerBranch.objects.order_by("code")
            self.fields["region"].queryset = Region.objects.order_by("code")
        else:
            for name in ("role", "insurer_branch", "region", "uscc"):
                del self.fields[name]

    def clean_uscc(self):
        return (self.cleaned_data.get("uscc") or "").strip().upper()

    def organisation(self):
        """(role, organisation) the token is for."""
        if not self.staff:
            role, key = tokens.own_organisation(self.user)
            model = {Role.INSURER: InsurerBranch, Role.BUREAU: Region, Role.ENTERPRISE: Enterprise}[role]
            return role, model.objects.get(pk=key)
        role = self.cleaned_data["role"]
        if role == Role.INSURER:
            return role, self.cleaned_data.get("insurer_branch")
        if role == Role.BUREAU:
            return role, self.cleaned_data.get("region")
        return role, Enterprise.objects.filter(uscc=self.cleaned_data.get("uscc") or "").first()

    def clean(self):
        cleaned = super().clean()
        if self.staff and "role" in cleaned:
            role, organisation = self.organisation()
            if organisation is None:
                field = {Role.INSURER: "insurer_branch", Role.BUREAU: "region", Role.ENTERPRISE: "uscc"}[role]
                self.add_error(field, _("请选择令牌所属机构。") if role != Role.ENTERPRISE
                               else _("没有该统一社会信用代码的企业。"))
        return cleaned

    # a service's field names for this form's
    error_fields = {"organisation": "role"}
