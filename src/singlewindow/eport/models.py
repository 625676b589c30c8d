"""The card authority's records: cards it issued, challenges it handed out, and every card attempt."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CardKind(models.TextChoices):
    LEGAL = "legal", _("法人卡")
    OPERATOR = "operator", _("操作员卡")


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已注销")


class Card(models.Model):
    """An e-port IC card: a key pair whose X.509 certificate names the enterprise (USCC), the card and the holder.

    The enterprise is named by its USCC, not a foreign key: the e-port issues cards to any enterprise, and the
    single window accepts a card only when that enterprise is known here (checked at every use).
    """

    number = models.CharField(_("卡号"), max_length=20, unique=True)
    kind = models.CharField(_("卡类型"), max_length=10, choices=CardKind.choices)
    holder = models.CharField(_("持卡人"), max_length=50)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    ent_name = models.CharField(_("企业名称"), max_length=100)
    algorithm = models.CharField(_("算法"), max_length=30, default="ecdsa-p256-sha256")
    certificate = models.TextField(_("证书"))
    serial = models.CharField(_("证书序列号"), max_length=40, unique=True)
    fingerprint = models.CharField(_("证书指纹（SHA-256）"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("证书生效时间"))
    not_after = models.DateTimeField(_("证书到期时间"))
    status = models.CharField(_("状态"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    issued_at = models.DateTimeField(_("发卡时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("注销原因"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("单一窗口用户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="eport_cards",
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("电子口岸卡")
        verbose_name_plural = _("电子口岸卡")

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}（{self.holder}）"


class Purpose(models.TextChoices):
    LOGIN = "login", _("卡介质登录")
    CONFIRM = "confirm", _("确认投保签名")
    DECLINE = "decline", _("放弃投保签名")


class Challenge(models.Model):
    """Data the card must sign: single-use, short-lived, bound to one browser session."""

    nonce = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    data = models.TextField()
    session_hash = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    card = models.ForeignKey(Card, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)  # login challenges: who asked, for the rate limit

    class Meta:
        indexes = [models.Index(fields=["expires_at"]), models.Index(fields=["ip", "created_at"])]


class CardAttempt(models.Model):
    """One card login or card signature, accepted or refused, and why (what the security team reads)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    ok = models.BooleanField(_("通过"))
    code = models.CharField(_("结果代码"), max_length=10, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    card_number = models.CharField(_("卡号"), max_length=40, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=40, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("卡使用记录")
        verbose_name_plural = _("卡使用记录")
