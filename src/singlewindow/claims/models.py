"""Buyers, possible-loss notices (可能损失通知), claims (索赔), their documents and recoveries (追偿).

Money: amounts in the invoice's currency are kept as the enterprise gave them; what the insurer pays is in US
dollars (the scheme's maximum is), converted at the rate the insurer states at approval, with its date.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from singlewindow.validators import CONTACT_NAME_MAX_LENGTH

from . import indemnity, iso

CREDIT_DAYS_MAX = 360  # the longest credit period the schemes cover (DESIGN.md §3)
DECLARATION_LENGTH = 18  # 报关单号: 18 digits


class Country(models.Model):
    """ISO 3166-1, from the committed table claims/data/countries.csv (data migration 0001)."""

    code = models.CharField(_("国家代码"), max_length=2, primary_key=True)
    alpha_3 = models.CharField(max_length=3, unique=True)
    numeric = models.CharField(max_length=3)
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("国家（地区）")
        verbose_name_plural = _("国家（地区）")

    def __str__(self):
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class BuyerQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import enterprise_scope

        return self.filter(enterprise_scope(user))


class Buyer(models.Model):
    """An overseas buyer as one enterprise keeps it. The insurer may merge duplicates across its insureds:
    a merged row points at the one kept (`merged_into`) and stays, so what referred to it still reads true."""

    enterprise = models.ForeignKey("enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT,
                                   related_name="buyers")
    name_latin = models.CharField(_("买方名称（外文）"), max_length=200, blank=True)
    name_zh = models.CharField(_("买方名称（中文）"), max_length=100, blank=True)
    country = models.ForeignKey(Country, verbose_name=_("国家（地区）"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("地址"), max_length=300, blank=True)
    registration_no = models.CharField(_("注册号"), max_length=50, blank=True)
    merged_into = models.ForeignKey("self", verbose_name=_("已合并至"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged")
    created_at = models.DateTimeField(_("添加时间"), auto_now_add=True)

    objects = BuyerQuerySet.as_manager()

    class Meta:
        ordering = ["name_latin", "name_zh", "id"]
        verbose_name = _("买方")
        verbose_name_plural = _("买方")

    def __str__(self):
        if self.name_latin and self.name_zh:
            return f"{self.name_latin}（{self.name_zh}）"
        return self.name_latin or self.name_zh

    @property
    def canonical_id(self):
        return self.merged_into_id or self.pk


class PaymentTerms(models.TextChoices):
    TT = "T/T", _("T/T 电汇")
    DP = "D/P", _("D/P 付款交单")
    DA = "D/A", _("D/A 承兑交单")
    LC = "L/C", _("L/C 信用证")
    OA = "O/A", _("O/A 赊销")


class Cause(models.TextChoices):
    INSOLVENCY = "insolvency", _("买方破产")
    DEFAULT = "default", _("拖欠")
    REFUSAL = "refusal", _("拒收")
    POLITICAL = "political", _("政治风险")


class CaseQuerySet(models.QuerySet):
    """Notices and claims: the policy's enterprise and the policy's insurer branch (policy_scope), and a bureau
    its region's (for counts; documents have their own, narrower scope)."""

    def visible_to(self, user):
        from singlewindow.accounts.scopes import policy_scope

        return self.filter(policy_scope(user, "policy"))


class LossNotice(models.Model):
    """可能损失通知: a shipment under an effective policy that the buyer has not paid for."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已报损")
        ACKNOWLEDGED = "acknowledged", _("已受理")
        CLAIMED = "claimed", _("已索赔")
        WITHDRAWN = "withdrawn", _("已撤回")

    number = models.CharField(_("报损编号"), max_length=30, unique=True)
    policy = models.ForeignKey("policies.Policy", verbose_name=_("保单"), on_delete=models.PROTECT,
                               related_name="loss_notices")
    buyer = models.ForeignKey(Buyer, verbose_name=_("买方"), on_delete=models.PROTECT, related_name="loss_notices")
    contract_no = models.CharField(_("合同号"), max_length=50)
    invoice_no = models.CharField(_("发票号"), max_length=50)
    declaration_no = models.CharField(_("报关单号"), max_length=DECLARATION_LENGTH)
    shipment_date = models.DateField(_("出运日期"))
    currency = models.CharField(_("币种"), max_length=3, choices=iso.currency_choices)
    invoice_amount = models.DecimalField(_("发票金额"), max_digits=15, decimal_places=2)
    payment_terms = models.CharField(_("支付方式"), max_length=3, choices=PaymentTerms.choices)
    credit_days = models.PositiveSmallIntegerField(
        _("信用期限（天）"), validators=[MinValueValidator(0), MaxValueValidator(CREDIT_DAYS_MAX)])
    due_date = models.DateField(_("应付款日"))
    overdue_amount = models.DecimalField(_("逾期金额"), max_digits=15, decimal_places=2)
    cause = models.CharField(_("损失原因"), max_length=20, choices=Cause.choices)
    collection_steps = models.TextField(_("已采取的催收措施"))
    contact_name = models.CharField(_("联系人"), max_length=CONTACT_NAME_MAX_LENGTH)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    # Late: filed after the scheme's deadline (due date + notice_days). Accepted, flagged, the consequence stated.
    late = models.BooleanField(_("逾期报损"), default=False)
    deadline = models.DateField(_("报损截止日"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("报损时间"))
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    target_date = models.DateField(_("下一步预计完成日"), null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("可能损失通知")
        verbose_name_plural = _("可能损失通知")

    def __str__(self):
        return self.number


class NoticeMessage(models.Model):
    """The conversation on a notice: the insurer's questions and collection advice, the enterprise's answers."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("保险公司提问")
        ANSWER = "answer", _("企业答复")
        ADVICE = "advice", _("催收建议")

    notice = models.ForeignKey(LossNotice, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]


class SettlementConsent(models.Model):
    """The insurer's written decision on a settlement plan the enterprise proposes to agree with the buyer."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("待保险公司决定")
        CONSENTED = "consented", _("同意")
        REFUSED = "refused", _("不同意")

    notice = models.ForeignKey(LossNotice, on_delete=models.CASCADE, related_name="settlements")
    plan = models.TextField(_("和解方案"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"))
    decision = models.CharField(_("决定"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decision_text = models.TextField(_("书面意见"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]


class Claim(models.Model):
    """索赔 from one notice. The indemnity and its working are fixed at approval and never change after."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        UNDER_REVIEW = "under_review", _("审核中")
        INFO_REQUESTED = "info_requested", _("待补充材料")
        RESUBMITTED = "resubmitted", _("已补充材料")
        APPROVED = "approved", _("已核赔")
        REJECTED = "rejected", _("已拒赔")
        PAID = "paid", _("已赔付")
        WITHDRAWN = "withdrawn", _("已撤回")

    number = models.CharField(_("索赔编号"), max_length=30, unique=True)
    notice = models.OneToOneField(LossNotice, verbose_name=_("可能损失通知"), on_delete=models.PROTECT,
                                  related_name="claim")
    policy = models.ForeignKey("policies.Policy", verbose_name=_("保单"), on_delete=models.PROTECT,
                               related_name="claims")
    claimed_amount = models.DecimalField(_("索赔金额"), max_digits=15, decimal_places=2)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("索赔时间"))
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    target_date = models.DateField(_("下一步预计完成日"), null=True, blank=True)
    # Fixed at approval: the rate used (1 unit of the invoice currency in USD), its date, and the figures.
    usd_rate = models.DecimalField(_("汇率（1单位原币折美元）"), max_digits=14, decimal_places=6, null=True,
                                   blank=True)
    rate_date = models.DateField(_("汇率日期"), null=True, blank=True)
    loss_usd = models.DecimalField(_("核定损失（美元）"), max_digits=15, decimal_places=2, null=True, blank=True)
    indemnity_usd = models.DecimalField(_("赔款（美元）"), max_digits=15, decimal_places=2, null=True, blank=True)
    working = models.JSONField(_("计算过程"), default=list, blank=True)
    decision_reason = models.TextField(_("拒赔原因"), blank=True)
    paid_on = models.DateField(_("赔付日期"), null=True, blank=True)
    paid_amount_usd = models.DecimalField(_("赔付金额（美元）"), max_digits=15, decimal_places=2, null=True,
                                          blank=True)
    paid_reference = models.CharField(_("付款凭证号"), max_length=60, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("索赔")
        verbose_name_plural = _("索赔")

    def __str__(self):
        return self.number

    @property
    def working_lines(self):
        """The working's (what, how, result) lines in the reader's language, written from the figures fixed at
        approval (indemnity.Indemnity.as_json). A claim approved before the figures were kept has its lines as
        text, in the language of whoever approved it: shown as they are."""
        if isinstance(self.working, dict):
            return indemnity.Indemnity.from_json(self.working).lines
        return [tuple(line) for line in self.working or []]


class DocumentKind(models.TextChoices):
    """The checklist of a claim (DESIGN.md §3); REQUESTED: what the insurer asked for besides."""

    APPLICATION = "application", _("索赔申请书")
    CONTRACT = "contract", _("合同")
    INVOICE = "invoice", _("发票")
    BILL_OF_LADING = "bill_of_lading", _("提单")
    DECLARATION = "declaration", _("报关单")
    CORRESPONDENCE = "correspondence", _("往来函电")
    REQUESTED = "requested", _("补充材料")


CHECKLIST = [kind for kind in DocumentKind if kind != DocumentKind.REQUESTED]


class InfoRequest(models.Model):
    """One item the insurer asked for (需要您补充的材料): a document, submitted only by a file uploaded against it
    (a reply saying why there is none answers the request but submits nothing), or an explanation, answered by
    the enterprise's reply (no file)."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("补充材料")
        EXPLANATION = "explanation", _("书面说明")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("要求类型"), max_length=12, choices=Kind.choices, default=Kind.DOCUMENT)
    item = models.CharField(_("需补充的材料"), max_length=200)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("要求时间"))
    reply = models.TextField(_("企业说明"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The claim's enterprise and the claim's insurer branch; nobody else, a bureau included."""
        from singlewindow.accounts.models import Role
        from singlewindow.accounts.scopes import NOTHING, policy_scope

        if getattr(user, "role", None) not in (Role.ENTERPRISE, Role.INSURER):
            return self.filter(NOTHING)
        return self.filter(policy_scope(user, "claim__policy"))


class ClaimDocument(models.Model):
    """An uploaded file, stored outside the web root under a random name (claims/uploads.py), with its hash."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("材料类型"), max_length=20, choices=DocumentKind.choices)
    request = models.ForeignKey(InfoRequest, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="documents")
    original_name = models.CharField(_("文件名"), max_length=200)
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("索赔材料")
        verbose_name_plural = _("索赔材料")


class Recovery(models.Model):
    """追偿: money recovered from the buyer after payment, shared by the indemnity ratio."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="recoveries")
    amount_usd = models.DecimalField(_("追回金额（美元）"), max_digits=15, decimal_places=2)
    received_on = models.DateField(_("到账日期"))
    insurer_share_usd = models.DecimalField(_("保险公司分得（美元）"), max_digits=15, decimal_places=2)
    enterprise_share_usd = models.DecimalField(_("企业分得（美元）"), max_digits=15, decimal_places=2)
    restored_usd = models.DecimalField(_("恢复赔偿限额（美元）"), max_digits=15, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("追偿")
        verbose_name_plural = _("追偿")
