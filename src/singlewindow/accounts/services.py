"""Account actions: 老用户账号绑定, 立即注册, 忘记密码/忘记用户名, passwords, profile, operators."""
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.audit.services import record
from singlewindow.enterprises import services as enterprises
from singlewindow.enterprises.identifiers import validate_uscc
from singlewindow.machines import Refused
from singlewindow.regions.models import Region
from singlewindow.validators import clean_contacts, clean_email, clean_text

from . import codes, lockout, passwords, usernames
from .logmask import mask_recipient
from .models import Channel, CodePurpose, LocalAccount, Role, User
from .sessions import end_sessions


def _bind(user, account, *, ip, action):
    updated = User.objects.filter(pk=user.pk, local_account__isnull=True).update(local_account=account)
    if updated != 1:
        raise Refused("already", _("当前用户已绑定本地账号，无需重复绑定。"))
    user.local_account = account
    record(actor=user, action=action, obj=account, ip=ip, data={"user": user.username})


def bind_existing(user, *, username, password, ip=None):
    """账号绑定: the local account's own credentials prove the user may use it.

    A wrong password, an unknown account and another enterprise's account get one and the same answer
    and count alike towards the lock (lockout.bind_tries_left), so the page tells nothing about other
    enterprises' local accounts.
    """
    if user.role != Role.ENTERPRISE:
        raise ValidationError(_("只有企业用户需要绑定本地账号。"))
    with transaction.atomic():
        # One bind attempt of this user at a time, so parallel guesses cannot overrun the count.
        User.objects.select_for_update().filter(pk=user.pk).first()
        left = lockout.bind_tries_left(user, ip)
        if left == 0:
            raise ValidationError(lockout.bind_locked_message(), code="locked_out")
        account = _local_account_for(user, username, password)
        if account is not None:
            _bind(user, account, ip=ip, action="account.bind")
            return account
        lockout.record_bind_failure(user, ip)
    if left == 1:
        raise ValidationError(lockout.bind_locked_message(), code="locked_out")
    raise ValidationError([
        _("本地账号或密码不正确（只能绑定 %(name)s 本企业的本地账号）。") % {"name": user.enterprise.name},
        lockout.bind_warning(left - 1),
    ])


def _local_account_for(user, username, password):
    """The user's enterprise's local account with this name and password, else None (in the same time:
    a password is hashed also when no account has the name)."""
    account = LocalAccount.objects.filter(username__iexact=(username or "").strip()).first()
    if account is None:
        make_password(password or "")
        return None
    if not account.check_password(password or "") or account.enterprise_id != user.enterprise_id:
        return None
    return account


def quick_register(user, *, username, password, contact_name, contact_phone, email="", ip=None):
    """快速注册: a local account prefilled from the enterprise, bound at once."""
    if user.role != Role.ENTERPRISE:
        raise ValidationError(_("只有企业用户需要注册本地账号。"))
    errors = {}
    username = (username or "").strip()
    if not usernames.is_well_formed(username):
        errors["username"] = usernames.local_account_format_error()
    elif LocalAccount.objects.filter(username__iexact=username).exists():
        errors["username"] = _("本地账号“%(name)s”已被使用，请换一个。") % {"name": username}
    if problem := passwords.local_password_problem(password):
        errors["password"] = problem
    contact_name, contact_phone = clean_contacts(errors, contact_name, contact_phone)
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


# --- 立即注册, recovery, passwords, profile, operators ------------------------------------------------
# Each business action below changes the account and writes its audit event in one transaction.
# Mobiles and emails go into audit data masked.

def _username_format_error(username):
    if not usernames.is_well_formed(username):
        return usernames.username_format_error()
    return None


def _username_taken_error(username):
    if User.objects.filter(username__iexact=username).exists():
        return _("用户名“%(name)s”已被使用，请换一个。") % {"name": username}
    return None


def _username_errors(username):
    return _username_format_error(username) or _username_taken_error(username)


def _email(value, required=True):
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(_("请填写电子邮箱。"), code="required")
        return ""
    return clean_email(value)


def _password_errors(password, *, username="", email=""):
    try:
        validate_password(password or "", user=User(username=username, email=email))
    except ValidationError as error:
        return error.messages
    return None


def _collect(errors, field, check, *args, **kwargs):
    try:
        return check(*args, **kwargs)
    except ValidationError as error:
        errors[field] = error.error_list  # keeps the codes (e.g. org_code_exists)
        return None


# What 立即注册 may tell of a code as soon as it is typed (the FAQ's advice: type the code to learn whether the
# enterprise is registered). It says no more than that: no name, no region, no figures.
FREE, REGISTERED, FIRST_ACCOUNT = "free", "registered", "first_account"
CODE_CHECKS_PER_HOUR = 30  # per client address: enough for a clerk's typos, too few to walk the register


def registration_standing(uscc):
    """(the normalised code, FREE | REGISTERED | FIRST_ACCOUNT), or ValidationError for a malformed code.

    FIRST_ACCOUNT: the enterprise is known (from the customs list) but nobody holds an account of it. It is
    not told it has one; its first account is opened by its 法人卡 (the card proves the enterprise), not by
    an SMS to whatever mobile the registrant types."""
    uscc = validate_uscc(uscc)
    enterprise = enterprises.by_organisation_code(uscc)
    if enterprise is None:
        return uscc, FREE
    if User.objects.filter(enterprise=enterprise, removed_at__isnull=True).exists():
        return uscc, REGISTERED
    return uscc, FIRST_ACCOUNT


def has_administrator(enterprise):
    """Has the enterprise a live 企业管理员（法人）account (the one that manages its operators)?"""
    return User.objects.filter(enterprise=enterprise, is_enterprise_admin=True, removed_at__isnull=True).exists()


def first_account_error():
    return ValidationError(_("该企业尚未开通单一窗口账号。为确认是企业本身开通，第一个账号须用本企业的电子口岸法人卡登录开通。"),
                           code=FIRST_ACCOUNT)


def _registrable_uscc(value):
    uscc, standing = registration_standing(value)
    if standing == REGISTERED:
        raise enterprises.org_code_exists_error()
    if standing == FIRST_ACCOUNT:
        raise first_account_error()
    return uscc


def limit_code_checks(ip):
    """Count one more answer about a code (the check, or a 立即注册 that says why it cannot go on) from `ip`
    this hour, in the shared cache (every app process); ValidationError on 统一社会信用代码 past the limit.
    An address client_ip could not read counts under one key: a closed door, not an open one."""
    key = f"sw:register-check:{ip}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, count := 1, timeout=3600)
    if count > CODE_CHECKS_PER_HOUR:
        raise ValidationError({"uscc": ValidationError(_("查询过于频繁，请一小时后再试。"), code="limited")})


def check_registration(*, uscc, name, region, legal_representative, mobile, email, username, password):
    """Validate 立即注册 before the SMS code is sent. Returns the cleaned data with the password hashed.

    Raises ValidationError({field: messages}); an organisation code already registered comes back on
    "uscc" with code "org_code_exists" (组织机构代码已存在). Whether the username is free is told only
    after the SMS code (`register`), so this page cannot be used to find out which accounts exist.
    """
    errors = {}
    clean = {
        "uscc": _collect(errors, "uscc", _registrable_uscc, uscc),
        "name": _collect(errors, "name", clean_text, name, field_label=_("企业名称"), max_length=100),
        "legal_representative": _collect(errors, "legal_representative", clean_text, legal_representative,
                                         field_label=_("法定代表人"), max_length=50),
        "mobile": _collect(errors, "mobile", codes.normalise_mobile, mobile),
        "email": _collect(errors, "email", _email, email),
    }
    county = Region.objects.filter(pk=(region or ""), level=Region.Level.COUNTY).first()
    if county is None:
        errors["region"] = [_("请选择企业所在县区。")]
    else:
        clean["region"] = county.pk
    username = (username or "").strip()
    if message := _username_format_error(username):
        errors["username"] = [message]
    clean["username"] = username
    if messages_ := _password_errors(password, username=username, email=clean["email"] or ""):
        errors["password"] = messages_
    if errors:
        raise ValidationError(errors)
    clean["password_hash"] = make_password(password)
    return clean


def send_registration_code(pending, *, ip=None):
    """立即注册 step 2: the SMS code to the contact mobile."""
    with transaction.atomic():
        codes.issue(CodePurpose.REGISTER, Channel.SMS, pending["mobile"], ip=ip)


def register(pending, *, code, username=None, ip=None):
    """Create the enterprise and its first account (the legal person's) once the SMS code matches.

    `username` replaces the one asked for in step 1 (after it was found taken). A taken username is
    told only to the holder of a right code, and uses up one of the code's tries: at most
    ACCOUNT_CODE_MAX_ATTEMPTS names can be tried per code, and codes are rate-limited.
    """
    username = pending["username"] if username is None else username.strip()
    if message := _username_format_error(username):
        raise ValidationError({"username": [message]})
    row = codes.match(CodePurpose.REGISTER, pending["mobile"], code)
    if message := _username_taken_error(username):
        codes.count_try(row)
        raise ValidationError({"username": [message]})
    with transaction.atomic():
        codes.use(row)
        enterprise = enterprises.create_registered(
            uscc=pending["uscc"], name=pending["name"], region=Region.objects.get(pk=pending["region"]),
            legal_representative=pending["legal_representative"],
        )
        user = User(
            username=username, password=pending["password_hash"], role=Role.ENTERPRISE,
            enterprise=enterprise, is_enterprise_admin=True, display_name=pending["legal_representative"],
            mobile=pending["mobile"], email=pending["email"],
        )
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same username registered a moment ago: nothing of ours stays
            raise ValidationError({"username": [_username_errors(user.username) or _("用户名已被使用，请换一个。")]}) from None
        record(actor=user, action="enterprise.register", obj=enterprise, ip=ip,
               data={"uscc": enterprise.uscc, "name": enterprise.name})
        record(actor=user, action="account.register", obj=user, ip=ip,
               data={"enterprise": enterprise.uscc, "mobile": mask_recipient(user.mobile), "admin": True})
    return user


# --- 忘记密码 / 忘记用户名 ----------------------------------------------------------------------------

def accounts_of(channel, recipient):
    """Active accounts registered with this mobile or email."""
    users = User.objects.filter(is_active=True, removed_at__isnull=True)
    field = Q(email__iexact=recipient) if channel == Channel.EMAIL else Q(mobile=recipient)
    return users.filter(field).select_related("enterprise").order_by("username")


def request_recovery_code(purpose, recipient, *, ip=None):
    """Send a recovery code when an account has this recipient; behave the same when none has.

    Returns (channel, recipient) normalised. Raises ValidationError only for a malformed recipient or
    the rate limit, which do not depend on whether an account exists.
    """
    channel, recipient = codes.parse_recipient(recipient)
    with transaction.atomic():
        codes.issue(purpose, channel, recipient, ip=ip, send=accounts_of(channel, recipient).exists())
    return channel, recipient


def verify_recovery_code(purpose, recipient, code):
    codes.verify(purpose, recipient, code)


def recover_usernames(channel, recipient, *, ip=None):
    """忘记用户名, after the code: the accounts of this recipient (each with its enterprise)."""
    users = list(accounts_of(channel, recipient))
    if users:
        with transaction.atomic():
            for user in users:
                record(actor=user, action="account.recover_username", obj=user, ip=ip,
                       data={"via": channel, "to": mask_recipient(recipient)})
    return users


def reset_password(channel, recipient, *, username, password, ip=None):
    """忘记密码, after the code: a new password for one of this recipient's accounts; unlocks it too."""
    from axes.utils import reset as reset_lockout

    user = accounts_of(channel, recipient).filter(username=username).first()
    if user is None:
        raise ValidationError({"username": [_("请选择要重置密码的账号。")]})
    if errors := _password_errors(password, username=user.username, email=user.email):
        raise ValidationError({"password": errors})
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(actor=user, action="account.password_reset", obj=user, ip=ip,
               data={"via": channel, "to": mask_recipient(recipient)})
    reset_lockout(username=user.username)
    return user


# --- the signed-in user's own account --------------------------------------------------------------

def change_password(user, *, old_password, password, ip=None):
    """Every session of the user ends (Django's session hash follows the password); the caller logs out."""
    if not user.check_password(old_password or ""):
        raise ValidationError({"old_password": [_("当前密码不正确。")]})
    if errors := _password_errors(password, username=user.username, email=user.email):
        raise ValidationError({"password": errors})
    if user.check_password(password):
        raise ValidationError({"password": [_("新密码不能与当前密码相同。")]})
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record(actor=user, action="account.password_change", obj=user, ip=ip)


def update_profile(user, *, display_name, email, ip=None):
    errors = {}
    display_name = _collect(errors, "display_name", clean_text, display_name, field_label=_("姓名"), max_length=50)
    email = _collect(errors, "email", _email, email, required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        changed = {f: getattr(user, f) != v for f, v in (("display_name", display_name), ("email", email))}
        user.display_name, user.email = display_name, email
        user.save(update_fields=["display_name", "email"])
        record(actor=user, action="account.profile", obj=user, ip=ip,
               data={"display_name": display_name, "email_changed": changed["email"],
                     "email": mask_recipient(email) if email else ""})


def send_mobile_code(user, mobile, *, ip=None):
    """Changing the contact mobile: a code to the new number first."""
    try:
        mobile = codes.normalise_mobile(mobile)
    except ValidationError as error:
        raise ValidationError({"mobile": error.messages}) from None
    if mobile == user.mobile:
        raise ValidationError({"mobile": [_("新手机号码与当前手机号码相同。")]})
    with transaction.atomic():
        codes.issue(CodePurpose.CHANGE_MOBILE, Channel.SMS, mobile, ip=ip, user=user)
    return mobile


def change_mobile(user, mobile, *, code, ip=None):
    try:
        codes.verify(CodePurpose.CHANGE_MOBILE, mobile, code, user=user)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from None
    with transaction.atomic():
        old = user.mobile
        user.mobile = mobile
        user.save(update_fields=["mobile"])
        record(actor=user, action="account.mobile_change", obj=user, ip=ip,
               data={"from": mask_recipient(old) if old else "", "to": mask_recipient(mobile)})


# --- operators of an enterprise ----------------------------------------------------------------------

def _require_manager(actor):
    if not getattr(actor, "can_manage_operators", False):
        raise PermissionDenied(_("只有本企业的管理员（法人账号）可以管理操作员。"))


def operators_of(actor):
    """The accounts of the actor's enterprise (the manager's list)."""
    _require_manager(actor)
    return User.objects.filter(enterprise_id=actor.enterprise_id, role=Role.ENTERPRISE,
                               removed_at__isnull=True).order_by("-is_enterprise_admin", "username")


def _operator(actor, operator_id):
    """An operator account of the actor's own enterprise; anything else does not exist for the actor."""
    target = operators_of(actor).filter(pk=operator_id).first()
    if target is None:
        raise User.DoesNotExist
    if target.is_enterprise_admin or target.pk == actor.pk:
        raise ValidationError(_("不能对企业管理员（法人账号）本身执行此操作。"))
    return target


def add_operator(actor, *, username, display_name, mobile, email, password, ip=None):
    _require_manager(actor)
    errors = {}
    username = (username or "").strip()
    if message := _username_errors(username):
        errors["username"] = [message]
    display_name = _collect(errors, "display_name", clean_text, display_name, field_label=_("姓名"), max_length=50)
    mobile = _collect(errors, "mobile", codes.normalise_mobile, mobile)
    email = _collect(errors, "email", _email, email, required=False)
    if messages_ := _password_errors(password, username=username, email=email or ""):
        errors["password"] = messages_
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        operator = User(username=username, role=Role.ENTERPRISE, enterprise_id=actor.enterprise_id,
                        display_name=display_name, mobile=mobile, email=email)
        operator.set_password(password)
        operator.save()
        record(actor=actor, action="account.operator_add", obj=operator, ip=ip,
               data={"username": username, "enterprise": actor.enterprise.uscc})
    return operator


def set_operator_active(actor, operator_id, active, *, ip=None):
    """停用 / 启用. A disabled operator cannot log in, and its open sessions end for good: enabling it again
    does not bring them back (the status is a credential behind them)."""
    with transaction.atomic():
        operator = _operator(actor, operator_id)
        if operator.is_active == active:
            return operator
        User.objects.filter(pk=operator.pk).update(is_active=active)
        end_sessions(operator.pk)
        operator.is_active = active
        record(actor=actor, action="account.operator_enable" if active else "account.operator_disable",
               obj=operator, ip=ip, data={"username": operator.username})
    return operator


def remove_operator(actor, operator_id, *, ip=None):
    """删除: the account can no longer be used and leaves the list; its history stays for the audit."""
    with transaction.atomic():
        operator = _operator(actor, operator_id)
        User.objects.filter(pk=operator.pk).update(is_active=False, removed_at=timezone.now())
        end_sessions(operator.pk)
        record(actor=actor, action="account.operator_remove", obj=operator, ip=ip,
               data={"username": operator.username})
    return operator


def unlock(actor, *, username=None, address=None, ip=None):
    """Lift a lockout: single-window operators for any account or address, an enterprise's manager for
    its own operators."""
    from axes.utils import reset as reset_lockout

    if actor.role != Role.STAFF:
        if address is not None:
            raise PermissionDenied
        target = operators_of(actor).filter(username=username).first()
        if target is None:
            raise User.DoesNotExist
    with transaction.atomic():
        target = User.objects.filter(username=username).first() if username else None
        if username:
            reset_lockout(username=username)
        if address:
            reset_lockout(ip=address)
        record(actor=actor, action="account.unlock", obj=target or actor, ip=ip,
               data={"username": username or "", "address": address or ""})
