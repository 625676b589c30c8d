"""The password policy, stated once and checked by Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""
import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 64


def has_letters_and_digits(password):
    return bool(re.search(r"[A-Za-z]", password or "") and re.search(r"[0-9]", password or ""))


def _policy():
    return _("密码%(min)d至%(max)d位，须同时包含字母和数字，区分大小写；不能与用户名相近，不能是常见密码。") % {
        "min": MIN_LENGTH, "max": MAX_LENGTH}


def _local_policy():
    return _("至少%(min)d位，须同时包含字母和数字。") % {"min": MIN_LENGTH}


# Lazy, so they are put together in the language of the request that shows them.
POLICY = lazy(_policy, str)()
LOCAL_POLICY = lazy(_local_policy, str)()  # a local account's (快速注册): the length and the letters and digits only


def local_password_problem(password):
    """None when `password` will do for a local account, else the message saying why."""
    if len(password or "") < MIN_LENGTH or not has_letters_and_digits(password):
        return _("密码至少%(min)d位，且须同时包含字母和数字。") % {"min": MIN_LENGTH}
    return None


class LettersAndDigitsValidator:
    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(_("密码不能超过%(n)d位。") % {"n": MAX_LENGTH}, code="password_too_long")
        if not has_letters_and_digits(password):
            raise ValidationError(_("密码须同时包含字母和数字。"), code="password_letters_digits")

    def get_help_text(self):
        return str(POLICY)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, at MIN_LENGTH, with the message in Chinese (Django's own zh-Hans plural form does not come through)."""

    def __init__(self, min_length=MIN_LENGTH):
        super().__init__(min_length)

    def get_error_message(self):
        return _("密码太短，至少需要%(n)d位。") % {"n": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's, with a message that reads as Chinese (Django's own says "密码跟 用户名 太相似了。")."""

    def get_error_message(self):
        return _("密码与%(verbose_name)s太相近，请换一个。")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self):
        return _("这个密码太常见，容易被猜中，请换一个。")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self):
        return _("密码不能全是数字，须同时包含字母和数字。")
