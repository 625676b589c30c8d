from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": _("用户名或密码不正确。请注意区分大小写；如忘记，可使用“忘记用户名”或“忘记密码”找回。"),
        "inactive": _("该账号已停用，请联系单一窗口客服 95198。"),
    }


class BindForm(forms.Form):
    username = forms.CharField(label=_("本地账号"), max_length=50)
    password = forms.CharField(label=_("本地账号密码"), widget=forms.PasswordInput, max_length=128)


class QuickRegisterForm(forms.Form):
    username = forms.CharField(label=_("本地账号"), max_length=30)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=128,
                               help_text=_("至少8位，须同时包含字母和数字。"))
    contact_name = forms.CharField(label=_("联系人"), max_length=50)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=30,
                                    help_text=_("11位手机号，或带区号的固定电话，如 0660-3379016。"))
    email = forms.EmailField(label=_("电子邮箱"), required=False, max_length=254)
