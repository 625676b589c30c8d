"""The username rule, stated once: 立即注册's and 操作员's usernames and 快速注册's 本地账号 are MIN_LENGTH to
MAX_LENGTH letters, digits or underscores, starting with a letter. Forms take the length and HELP, services the check."""
import re

from django.utils.functional import lazy
from django.utils.translation import gettext as _

MIN_LENGTH, MAX_LENGTH = 4, 30
_SHAPE = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{{MIN_LENGTH - 1},{MAX_LENGTH - 1}}}")
_BOUNDS = {"min": MIN_LENGTH, "max": MAX_LENGTH}


def is_well_formed(username):
    return bool(_SHAPE.fullmatch(username or ""))


def username_format_error():
    return _("用户名须为%(min)d至%(max)d位字母、数字或下划线，并以字母开头。") % _BOUNDS


def local_account_format_error():
    return _("本地账号须为%(min)d至%(max)d位字母、数字或下划线，并以字母开头。") % _BOUNDS


HELP = lazy(lambda: _("%(min)d至%(max)d位字母、数字或下划线，以字母开头。") % _BOUNDS, str)()  # in the request's language
