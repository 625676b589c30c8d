from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INSURER = "insurer", _("保险公司")
    BUREAU = "bureau", _("商务主管部门")
    OPERATOR = "operator", _("单一窗口管理员")


class LoginMethod(models.TextChoices):
    PASSWORD = "password", _("账号密码")
    CARD = "card", _("卡介质")


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

    @property
    def is_enterprise(self):
        return self.role == Role.ENTERPRISE

    @property
    def is_insurer(self):
        return self.role == Role.INSURER

    @property
    def is_bureau(self):
        return self.role == Role.BUREAU

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


class LocalAccount(models.Model):
    """An account of the Guangdong local-features system, which portal users bind to once."""

    username = models.CharField(_("本地账号"), max_length=50, unique=True)
    password = models.CharField(max_length=128)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("所属企业"), on_delete=models.PROTECT, related_name="local_accounts"
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
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
