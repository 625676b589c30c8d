from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from singlewindow.validators import CONTACT_NAME_MAX_LENGTH

from . import usernames
from .lockout import attempts_left, lockout_message, warning
from .passwords import LOCAL_POLICY, POLICY


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("用户名"), max_length=150, widget=forms.TextInput({"autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), strip=False,
                               widget=forms.PasswordInput({"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": _("用户名或密码不正确。请注意区分大小写；如忘记，可使用“忘记用户名”或“忘记密码”找回。"),
        "inactive": _("该账号已停用，请联系单一窗口客服 95198。"),
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            # django-axes flags the request once this account or address has failed too often.
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout_message(), code="locked_out") from None
            if error.code != "invalid_login":
                raise
            # Counted for made-up names too, so the number says nothing about whether the account exists.
            left = attempts_left(self.request, self.cleaned_data.get("username"))
            raise ValidationError([error, ValidationError(warning(left), code="attempts_left")]) from None


class BindForm(forms.Form):
    username = forms.CharField(label=_("本地账号"), max_length=50)
    password = forms.CharField(label=_("本地账号密码"), widget=forms.PasswordInput, max_length=128)


class QuickRegisterForm(forms.Form):
    username = forms.CharField(label=_("本地账号"), max_length=usernames.MAX_LENGTH)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=128,
                               help_text=LOCAL_POLICY)
    contact_name = forms.CharField(label=_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30,
                                    help_text=_("11位手机号，或带区号的固定电话，如 0660-3379016。"))
    email = forms.EmailField(label=_("电子邮箱"), required=False, max_length=254)


def _required(label):
    # Lazy, so the message is put together in the language of the request that shows it.
    return {"required": lazy(lambda: gettext("请填写%(label)s。") % {"label": label}, str)()}


def text(label, max_length, required=True, attrs=None, **kwargs):
    """A text box whose message names it; `attrs` for the browser (autocomplete, inputmode)."""
    return forms.CharField(label=label, max_length=max_length, required=required, error_messages=_required(label),
                           widget=forms.TextInput(attrs), **kwargs)


def password_field(label, help_text=None, autocomplete="new-password"):
    return forms.CharField(label=label, max_length=128, strip=False,
                           widget=forms.PasswordInput({"autocomplete": autocomplete}),
                           error_messages=_required(label), help_text=help_text)


TEL = {"autocomplete": "tel", "inputmode": "tel"}
ONE_TIME_CODE = {"autocomplete": "one-time-code", "inputmode": "numeric"}
EMAIL = {"autocomplete": "email"}


class NewPasswordMixin:
    """Two password boxes that must agree; the policy itself is checked by the service."""

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") is not None and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


def county_choices():
    """The region picker: Guangdong's county-level divisions grouped by prefecture."""
    from singlewindow.regions.models import Region

    groups = {}
    for county in Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"):
        groups.setdefault(county.parent.name if county.parent else "", []).append((county.pk, county.name))
    return [("", _("请选择所在县区"))] + list(groups.items())


class RegisterForm(NewPasswordMixin, forms.Form):
    uscc = text(_("统一社会信用代码"), 40, attrs={
        "autocomplete": "off", "spellcheck": "false",
        # Checked as soon as it is typed (the FAQ's advice), before the other fields are filled in.
        "hx-post": reverse_lazy("portal:register_check"), "hx-trigger": "change", "hx-target": "#uscc-standing",
        "hx-swap": "outerHTML", "hx-params": "uscc,csrfmiddlewaretoken",
    }, help_text=_("18位，见营业执照；可含空格或短横线，字母不区分大小写。"))
    name = text(_("企业名称"), 100, attrs={"autocomplete": "organization"})
    region = forms.ChoiceField(label=_("所在县区"), error_messages={"required": _("请选择企业所在县区。"),
                                                                "invalid_choice": _("请选择企业所在县区。")})
    legal_representative = text(_("法定代表人"), 50)
    mobile = text(_("联系手机"), 20, attrs=TEL, help_text=_("用于接收注册验证码、找回用户名和密码。"))
    email = forms.EmailField(label=_("电子邮箱"), max_length=254, widget=forms.EmailInput(EMAIL),
                             error_messages={**_required(_("电子邮箱")), "invalid": _("电子邮箱格式不正确。")})
    username = text(_("用户名"), usernames.MAX_LENGTH, attrs={"autocomplete": "username"}, help_text=usernames.HELP)
    password = password_field(_("密码"), help_text=POLICY)
    password2 = password_field(_("确认密码"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = county_choices()


class CodeForm(forms.Form):
    code = text(_("验证码"), 10, attrs=ONE_TIME_CODE, help_text=_("6位数字，10分钟内有效；以最新收到的验证码为准。"))


class RegisterCodeForm(CodeForm):
    """立即注册 step 2. The username box appears when the one chosen turned out to be taken."""

    username = text(_("用户名"), usernames.MAX_LENGTH, required=False, attrs={"autocomplete": "username"},
                    help_text=usernames.HELP)


class RecipientForm(forms.Form):
    recipient = text(_("手机号码或电子邮箱"), 254, attrs={"autocomplete": "tel"}, help_text=_("填写注册账号时登记的手机号码或电子邮箱。"))


class ResetPasswordForm(NewPasswordMixin, forms.Form):
    username = forms.ChoiceField(label=_("账号"), widget=forms.RadioSelect,
                                 error_messages={"required": _("请选择要重置密码的账号。"),
                                                 "invalid_choice": _("请选择要重置密码的账号。")})
    password = password_field(_("新密码"), help_text=POLICY)
    password2 = password_field(_("确认新密码"))

    def __init__(self, *args, usernames=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].choices = [(u, u) for u in usernames]
        if len(usernames) == 1:
            self.fields["username"].initial = usernames[0]


class ChangePasswordForm(NewPasswordMixin, forms.Form):
    old_password = password_field(_("当前密码"), autocomplete="current-password")
    password = password_field(_("新密码"), help_text=POLICY)
    password2 = password_field(_("确认新密码"))


class ProfileForm(forms.Form):
    display_name = text(_("姓名"), 50, attrs={"autocomplete": "name"})
    email = forms.EmailField(label=_("电子邮箱"), max_length=254, required=False, widget=forms.EmailInput(EMAIL),
                             error_messages={"invalid": _("电子邮箱格式不正确。")})


class MobileForm(forms.Form):
    mobile = text(_("新手机号码"), 20, attrs=TEL)


class OperatorForm(NewPasswordMixin, forms.Form):
    username = text(_("用户名"), usernames.MAX_LENGTH, attrs={"autocomplete": "off"}, help_text=usernames.HELP)
    display_name = text(_("姓名"), 50)
    mobile = text(_("手机号码"), 20, attrs={"inputmode": "tel"}, help_text=_("操作员本人的手机，用于找回用户名和密码。"))
    email = forms.EmailField(label=_("电子邮箱"), max_length=254, required=False,
                             error_messages={"invalid": _("电子邮箱格式不正确。")})
    password = password_field(_("初始密码"), help_text=POLICY)
    password2 = password_field(_("确认初始密码"))
