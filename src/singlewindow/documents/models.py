"""电子保单 and 确认回执: signed PDFs, stored outside the web root, hashed and versioned; and the log of the public
保单查验 (verification).

A document belongs to a series: a policy's 电子保单, or one confirmation's 确认回执. A series has versions 1, 2, …;
the newest is current and every earlier one is superseded (superseded_at, superseded_by) but stays verifiable by
its own code and hash. A new version is made only when what the document states changes (facts_sha256).
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    POLICY = "policy", _("电子保单")
    RECEIPT = "receipt", _("确认回执")


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The policy's enterprise and the insurer branch whose scheme it is; nobody else (a bureau, the
        single-window administrator and anonymous visitors included: they verify a document, never fetch one)."""
        from singlewindow.accounts.models import Role
        from singlewindow.accounts.scopes import NOTHING, policy_scope

        if getattr(user, "role", None) not in (Role.ENTERPRISE, Role.INSURER):
            return self.filter(NOTHING)
        return self.filter(policy_scope(user, "policy"))

    def current(self):
        return self.filter(superseded_at__isnull=True)


class PolicyDocument(models.Model):
    policy = models.ForeignKey("policies.Policy", verbose_name=_("保单"), on_delete=models.PROTECT,
                               related_name="documents")
    kind = models.CharField(_("文件类型"), max_length=10, choices=Kind.choices)
    # A 确认回执's confirmation; None for the 电子保单.
    confirmation = models.ForeignKey("policies.Confirmation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="receipts")
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    reason = models.CharField(_("生成原因"), max_length=100)
    facts_sha256 = models.CharField(max_length=64, editable=False)  # what it states, to tell a change
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    code = models.CharField(_("验证码"), max_length=8, unique=True)
    signer_sha256 = models.CharField(_("签名证书指纹"), max_length=64)
    generated_at = models.DateTimeField(_("生成时间"))
    superseded_at = models.DateTimeField(_("被取代时间"), null=True, blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-generated_at", "-id"]
        verbose_name = _("电子文件")
        verbose_name_plural = _("电子文件")
        constraints = [
            models.CheckConstraint(
                name="receipt_has_confirmation",
                condition=Q(kind=Kind.POLICY, confirmation__isnull=True)
                | Q(kind=Kind.RECEIPT, confirmation__isnull=False),
            ),
            models.UniqueConstraint(fields=["policy", "version"], condition=Q(kind=Kind.POLICY),
                                    name="one_policy_document_per_version"),
            models.UniqueConstraint(fields=["policy"], condition=Q(kind=Kind.POLICY, superseded_at__isnull=True),
                                    name="one_current_policy_document"),
            models.UniqueConstraint(fields=["confirmation", "version"], condition=Q(kind=Kind.RECEIPT),
                                    name="one_receipt_per_version"),
            models.UniqueConstraint(fields=["confirmation"], condition=Q(kind=Kind.RECEIPT,
                                                                         superseded_at__isnull=True),
                                    name="one_current_receipt"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.policy_id} v{self.version}"

    @property
    def is_current(self):
        return self.superseded_at is None

    @property
    def shown_code(self):
        """ABCD-EFGH: as printed beside the QR code."""
        return f"{self.code[:4]}-{self.code[4:]}"

    @property
    def filename(self):
        label = Kind(self.kind).label
        suffix = f"-{self.confirmation_id}" if self.kind == Kind.RECEIPT else ""
        return f"{label}-{self.policy.number}{suffix}-v{self.version}.pdf"


class Verification(models.Model):
    """One 保单查验: when, how, what it found. The address only as a keyed hash (to see abuse, not people)."""

    class Method(models.TextChoices):
        CODE = "code", _("保单号和验证码")
        UPLOAD = "upload", _("上传文件")

    class Result(models.TextChoices):
        GENUINE = "genuine", _("真实，当前版本")
        SUPERSEDED = "superseded", _("真实，已被新版本取代")
        NOT_FOUND = "not_found", _("未找到")

    at = models.DateTimeField(_("查验时间"))
    method = models.CharField(_("查验方式"), max_length=10, choices=Method.choices)
    result = models.CharField(_("查验结果"), max_length=12, choices=Result.choices)
    document = models.ForeignKey(PolicyDocument, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="verifications")
    policy = models.ForeignKey("policies.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ip_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["policy", "at"])]
        verbose_name = _("保单查验")
        verbose_name_plural = _("保单查验")
