"""Organisation API tokens: who may make and revoke them, making one, revoking one, and finding one by its secret.

Decided in docs/decisions/0028-api-tokens.md:
- the single-window administrator (Role.STAFF) manages every organisation's tokens;
- an insurer or bureau user holding the permission `api.manage_api_tokens` (granted by the administrator) manages
  its own branch's or region's; an enterprise's administrator (法人账号, User.can_manage_operators) its own
  enterprise's;
- a token acts through an account of its own, made with it: the organisation's role and scope, inactive in the
  database and removed from every list of people, so nobody logs in with it. The API takes it as the services'
  `actor` (is_active set on the instance only, while the token is live).
"""
import datetime
import hashlib
import secrets

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.accounts.models import Role, User
from singlewindow.accounts.scopes import NOTHING
from singlewindow.audit.services import record
from singlewindow.machines import Refused
from singlewindow.validators import is_storable, no_markup

from .models import Access, ApiToken

SCHEME = "swk_"  # every secret starts so: recognisable in a log, a commit or a secret scanner
PREFIX_LENGTH = 12  # swk_ and 8 characters: what lists show
MAX_DAYS = 366
NAME_MAX_LENGTH = 100
PERMISSION = "api.manage_api_tokens"


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


# --- who may manage which organisation's tokens ------------------------------------------------------------

def _signed_in(user):
    return getattr(user, "is_authenticated", False) and user.is_active


def may_manage(user, role=None, organisation_id=None):
    """May `user` make and revoke tokens of the organisation (`role`, its key)? Without arguments: of any one."""
    if not _signed_in(user):
        return False
    if user.role == Role.STAFF:
        return True
    own = own_organisation(user)
    if own is None:
        return False
    return role is None or (role, str(organisation_id)) == (own[0], str(own[1]))


def own_organisation(user):
    """(role, key) of the organisation whose tokens `user` administers, or None."""
    if user.role == Role.ENTERPRISE and user.can_manage_operators:
        return Role.ENTERPRISE, user.enterprise_id
    if user.role == Role.INSURER and user.insurer_branch_id and user.has_perm(PERMISSION):
        return Role.INSURER, user.insurer_branch_id
    if user.role == Role.BUREAU and user.region_id and user.has_perm(PERMISSION):
        return Role.BUREAU, user.region_id
    return None


_FIELD = {Role.INSURER: "insurer_branch", Role.BUREAU: "region", Role.ENTERPRISE: "enterprise"}


def organisation_filter(user):
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.STAFF:
        return Q()
    own = own_organisation(user)
    if own is None:
        return NOTHING
    return Q(role=own[0], **{f"{_FIELD[own[0]]}_id": own[1]})


# --- making and revoking ------------------------------------------------------------------------------------

def clean_name(name):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称（例如对接的系统）。")})
    if len(name) > NAME_MAX_LENGTH or not is_storable(name):
        raise ValidationError({"name": _("令牌名称不能超过%(n)d个字。") % {"n": NAME_MAX_LENGTH}})
    try:
        no_markup(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from None
    return name


def expiry(expires_on, now=None):
    """The end of `expires_on` (inclusive, Asia/Shanghai) as a moment; tomorrow at the earliest, a year at most."""
    today = timezone.localdate(now)
    if not isinstance(expires_on, datetime.date) or isinstance(expires_on, datetime.datetime):
        raise ValidationError({"expires_on": _("请填写有效期（日期）。")})
    if expires_on <= today or expires_on > today + datetime.timedelta(days=MAX_DAYS):
        raise ValidationError({"expires_on": _("有效期须在明天至 %(last)s 之间（含当日）。") % {
            "last": (today + datetime.timedelta(days=MAX_DAYS)).isoformat()}})
    end = datetime.datetime.combine(expires_on + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(end)


def create(actor, *, role, organisation, name, expires_on, access=Access.WRITE, ip=None, now=None):
    """Make a token of `organisation` (an InsurerBranch, Region or Enterprise as `role` says). Returns
    (token, secret): the secret exists only in this return value; the database keeps its SHA-256."""
    if role not in _FIELD or organisation is None:
        raise ValidationError({"organisation": _("请选择令牌所属机构。")})
    if not may_manage(actor, role, organisation.pk):
        raise PermissionDenied
    name = clean_name(name)
    if access not in Access.values:
        raise ValidationError({"access": _("请选择令牌权限。")})
    now = now or timezone.now()
    expires_at = expiry(expires_on, now)
    secret = SCHEME + secrets.token_urlsafe(32)
    prefix = secret[:PREFIX_LENGTH]
    with transaction.atomic():
        user = User.objects.create(
            username=f"api.{prefix}", display_name=_("开放接口：%(name)s") % {"name": name[:40]},
            password=make_password(None), role=role, is_active=False, removed_at=now,
            **{_FIELD[role]: organisation},
        )
        token = ApiToken.objects.create(
            name=name, role=role, access=access, prefix=prefix, secret_sha256=digest(secret), user=user,
            created_by=actor, created_at=now, expires_at=expires_at, **{_FIELD[role]: organisation},
        )
        record(actor=actor, action="api_token.create", obj=token, ip=ip, at=now, data={
            "prefix": prefix, "role": role, "organisation": str(organisation.pk), "access": access,
            "expires_at": expires_at.isoformat()})
    return token, secret


def revoke(actor, token_id, *, ip=None, now=None):
    """撤销: the token stops at once (every call reads its row). A second revoke answers "already done"."""
    now = now or timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.visible_to(actor).select_for_update().filter(pk=token_id).first()
        if token is None:
            raise ApiToken.DoesNotExist
        if not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor):
            raise Refused("already", _("令牌 %(prefix)s… 已撤销，无需重复操作。") % {"prefix": token.prefix})
        record(actor=actor, action="api_token.revoke", obj=token, ip=ip, at=now, data={"prefix": token.prefix})
        token.revoked_at, token.revoked_by = now, actor
    return token


# --- finding the token of a request --------------------------------------------------------------------------

class TokenRefused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def authenticate(secret, now=None):
    """The live token whose secret this is, its account ready to act (`token.actor`); else TokenRefused."""
    if not secret or not secret.startswith(SCHEME) or len(secret) > 100 or not secret.isascii():
        raise TokenRefused("unauthenticated", _("请在 Authorization 请求头中提供接口令牌：Bearer swk_…"))
    token = (ApiToken.objects.select_related("user__insurer_branch", "user__region", "user__enterprise")
             .filter(secret_sha256=digest(secret)).first())
    if token is None:
        raise TokenRefused("unauthenticated", _("接口令牌无效。"))
    state = token.state(now)
    if state == "revoked":
        raise TokenRefused("token_revoked", _("接口令牌 %(prefix)s… 已于 %(at)s 撤销。") % {
            "prefix": token.prefix, "at": timezone.localtime(token.revoked_at).strftime("%Y-%m-%d %H:%M")})
    if state == "expired":
        raise TokenRefused("token_expired", _("接口令牌 %(prefix)s… 已于 %(at)s 过期。") % {
            "prefix": token.prefix, "at": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")})
    actor = token.user
    actor.is_active = True  # in memory only: the account acts while its token is live, and never logs in
    token.actor = actor
    return token
