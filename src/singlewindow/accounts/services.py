"""Binding a portal user to a local-features account (老用户账号绑定)."""
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from singlewindow.audit.services import record
from singlewindow.validators import clean_person_name, normalise_phone

from .models import LocalAccount, Role, User

USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,29}")


def _bind(user, account, *, ip, action):
    updated = User.objects.filter(pk=user.pk, local_account__isnull=True).update(local_account=account)
    if updated != 1:
        raise ValidationError(_("当前用户已绑定本地账号，无需重复绑定。"))
    user.local_account = account
    record(actor=user, action=action, obj=account, ip=ip, data={"user": user.username})


def bind_existing(user, *, username, password, ip=None):
    """账号绑定: the local account's own credentials prove the user may use it."""
    if user.role != Role.ENTERPRISE:
        raise ValidationError(_("只有企业用户需要绑定本地账号。"))
    account = LocalAccount.objects.filter(username__iexact=(username or "").strip()).first()
    if account is None or not account.check_password(password or ""):
        raise ValidationError(_("本地账号或密码不正确。"))
    if account.enterprise_id != user.enterprise_id:
        raise ValidationError(
            _("该本地账号属于其他企业，不能绑定到 %(name)s。请确认您登录的是被保险企业本身的账号。")
            % {"name": user.enterprise.name}
        )
    with transaction.atomic():
        _bind(user, account, ip=ip, action="account.bind")
    return account


def quick_register(user, *, username, password, contact_name, contact_phone, email="", ip=None):
    """快速注册: a local account prefilled from the enterprise, bound at once."""
    if user.role != Role.ENTERPRISE:
        raise ValidationError(_("只有企业用户需要注册本地账号。"))
    errors = {}
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        errors["username"] = _("本地账号须为4至30位字母、数字或下划线，并以字母开头。")
    elif LocalAccount.objects.filter(username__iexact=username).exists():
        errors["username"] = _("本地账号“%(name)s”已被使用，请换一个。") % {"name": username}
    if len(password or "") < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        errors["password"] = _("密码至少8位，且须同时包含字母和数字。")
    try:
        contact_name = clean_person_name(contact_name)
    except ValidationError as error:
        errors["contact_name"] = error.messages
    try:
        contact_phone = normalise_phone(contact_phone)
    except ValidationError as error:
        errors["contact_phone"] = error.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        account = LocalAccount(
            username=username, enterprise=user.enterprise, contact_name=contact_name,
            contact_phone=contact_phone, email=email or "",
        )
        account.set_password(password)
        account.save()
        _bind(user, account, ip=ip, action="account.quick_register")
    return account
