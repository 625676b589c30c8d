"""The password policy, stated once and checked by Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""
import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

POLICY = gettext_lazy("密码8至64位，须同时包含字母和数字，区分大小写；不能与用户名相近，不能是常见密码。")
MAX_LENGTH = 64


class LettersAndDigitsValidator:
    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(_("密码不能超过%(n)d位。") % {"n": MAX_LENGTH}, code="password_too_long")
        if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
            raise ValidationError(_("密码须同时包含字母和数字。"), code="password_letters_digits")

    def get_help_text(self):
        return str(POLICY)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with the message in Chinese (Django's own zh-Hans plural form does not come through)."""

    def get_error_message(self):
        return _("密码太短，至少需要%(n)d位。") % {"n": self.min_length}
