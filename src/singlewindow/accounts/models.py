from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from singlewindow.validators import CONTACT_NAME_MAX_LENGTH


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INSURER = "insurer", _("保险公司")
    BUREAU = "bureau", _("商务主管部门")
    STAFF = "staff", _("单一窗口管理员")  # the portal's administrator; an enterprise's 操作员 is a plain ENTERPRISE user


class LoginMethod(models.TextChoices):
    PASSWORD = "password", _("账号密码")
    CARD = "card", _("卡介质")


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .scopes import user_scope

        return self.filter(user_scope(user))

    def update(self, **fields):
        """Like every change of a user's row, an update makes its cached copies stale (accounts.usercache)."""
        from .usercache import forget

        changed = list(self.values_list("pk", flat=True))
        count = super().update(**fields)
        forget(*changed)
        return count


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    """Django's user manager (create_user…) with `visible_to`, like every model a user can reach."""


class User(AbstractUser):
    """A single-window (portal) account. Its role decides what it may see; its scope how far."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.ENTERPRISE)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("所属企业"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    insurer_branch = models.ForeignKey(
        "policies.InsurerBranch", verbose_name=_("保险公司机构"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("管辖区域"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="bureau_users",
    )
    local_account = models.ForeignKey(
        "accounts.LocalAccount", verbose_name=_("绑定的本地账号"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="portal_users",
    )
    # The enterprise's first account (the legal person's): it manages the enterprise's operators.
    is_enterprise_admin = models.BooleanField(_("企业管理员（法人账号）"), default=False)
    # An operator removed by the enterprise: kept (inactive) for the audit trail, hidden from lists.
    removed_at = models.DateTimeField(_("删除时间"), null=True, blank=True)
    # Raised whenever a credential behind this account's sessions changes (its status, a card revoked):
    # part of the session hash, so every open session ends (accounts.sessions.end_sessions).
    credential_version = models.PositiveIntegerField(_("凭据版本"), default=0, editable=False)

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="enterprise_user_has_enterprise",
                condition=~models.Q(role="enterprise") | models.Q(enterprise__isnull=False),
            ),
        ]

    def __str__(self):
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret=None):
        """Django's session hash (checked on every request) over the password hash and the credential version."""
        key_salt = "singlewindow.accounts.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}\n{self.credential_version}", secret=secret,
                           algorithm="sha256").hexdigest()

    @property
    def can_manage_operators(self):
        return self.role == Role.ENTERPRISE and self.is_enterprise_admin and self.is_active

    @property
    def can_manage_api_tokens(self):
        """May make and revoke its organisation's API tokens (the rule: api.tokens.may_manage)."""
        from singlewindow.api.tokens import may_manage

        return may_manage(self)

    @property
    def acting_for(self):
        """What this user acts for, shown on every page (FAQ 9: the wrong company)."""
        if self.role == Role.ENTERPRISE:
            return self.enterprise
        if self.role == Role.INSURER:
            return self.insurer_branch
        if self.role == Role.BUREAU:
            return self.region
        return None


@receiver(post_save, sender=User, dispatch_uid="singlewindow.accounts.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="singlewindow.accounts.user_deleted")
def forget_cached_user(sender, instance, **kwargs):
    """A saved or deleted user (password, status, role, scope...) is never served from the cache as it was."""
    from .usercache import forget

    forget(instance.pk)


class LocalAccount(models.Model):
    """An account of the Guangdong local-features system, which portal users bind to once."""

    username = models.CharField(_("本地账号"), max_length=50, unique=True)
    password = models.CharField(max_length=128)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("所属企业"), on_delete=models.PROTECT, related_name="local_accounts"
    )
    contact_name = models.CharField(_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("本地账号")
        verbose_name_plural = _("本地账号")

    def __str__(self):
        return self.username

    def set_password(self, raw):
        self.password = make_password(raw)

    def check_password(self, raw):
        return check_password(raw, self.password)


class CodePurpose(models.TextChoices):
    REGISTER = "register", _("立即注册")
    RESET_PASSWORD = "reset_password", _("忘记密码")
    RECOVER_USERNAME = "recover_username", _("忘记用户名")
    CHANGE_MOBILE = "change_mobile", _("更换手机号码")


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class VerificationCode(models.Model):
    """A one-time code sent to a mobile or an email. Only its keyed hash is kept.

    A row is written for every request, also for recipients no account has (then nothing is sent),
    so rate limits and responses are the same whether an account exists or not.
    """

    purpose = models.CharField(max_length=20, choices=CodePurpose.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254, db_index=True)
    code_hash = models.CharField(max_length=64)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    sent = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")


class LocalBindFailure(models.Model):
    """A wrong answer on 老用户账号绑定: counted per portal user and per address, like failed logins."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["ip", "at"])]
        verbose_name = _("本地账号绑定失败")
        verbose_name_plural = _("本地账号绑定失败")
