from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .identifiers import ORG_CODE_LENGTH, organisation_code


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import enterprise_scope

        return self.filter(enterprise_scope(user, field="pk", region_field="region"))


class Enterprise(models.Model):
    # uscc and org_code: on PostgreSQL no "_like" index beside the unique one (enterprises/0003, decision 0008).
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    org_code = models.CharField(_("组织机构代码"), max_length=ORG_CODE_LENGTH, unique=True, editable=False)
    name = models.CharField(_("企业名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    # PostgreSQL keeps only its "_like" index, which serves = and the region prefix (enterprises/0005, decision 0008).
    region = models.ForeignKey("regions.Region", verbose_name=_("所在县区"), on_delete=models.PROTECT)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    customs_code = models.CharField(_("海关编码"), max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("企业")
        verbose_name_plural = _("企业")

    def __str__(self):
        return f"{self.name}（{self.uscc}）"

    def save(self, *args, **kwargs):
        self.org_code = organisation_code(self.uscc)
        super().save(*args, **kwargs)


class ExportRecord(models.Model):
    # No index of its own: the unique (enterprise, year) index serves every lookup by enterprise.
    # No database foreign key either: records are only written by the import, joined to the enterprise in
    # the same transaction, and a per-row key check would lock every new enterprise row a second time
    # (docs/decisions/0023-export-records-without-a-database-foreign-key.md). Deletes still cascade through the ORM.
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="export_records",
                                   db_index=False, db_constraint=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    export_usd = models.DecimalField(_("出口额（美元）"), max_digits=15, decimal_places=2)
    source = models.CharField(_("数据来源"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="one_export_record_per_year")]
        verbose_name = _("出口记录")
        verbose_name_plural = _("出口记录")


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import import_scope

        return self.filter(import_scope(user))

    def stale(self, now=None):
        """Jobs whose worker is gone: ImportJob.is_stale's rule (transitions.STALENESS), in SQL."""
        from .transitions import STALENESS

        return STALENESS.filter(self, now)


class ImportJob(models.Model):
    """One upload of the customs export list. All-or-nothing: written only when every row is good."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        REJECTED = "rejected", _("未导入：文件有错误")
        DONE = "done", _("已导入")
        FAILED = "failed", _("出错中断")

    class Phase(models.TextChoices):  # stored as the key, shown in the reader's language
        READ = "read", _("逐行校验")
        DUPS = "dups", _("查找重复行")
        WRITE = "write", _("写入数据库")

    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("管辖区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("上传单位的管辖区域；空表示全省（单一窗口管理员）。"),
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    path = models.CharField(max_length=300, editable=False)
    size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(_("当前步骤"), max_length=50, blank=True, choices=Phase.choices)
    percent = models.PositiveSmallIntegerField(default=0)
    rows_read = models.PositiveIntegerField(_("已读行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors_preview = models.JSONField(default=list, blank=True)
    report_path = models.CharField(max_length=300, blank=True, editable=False)
    enterprises_created = models.PositiveIntegerField(_("新建企业"), default=0)
    records_written = models.PositiveIntegerField(_("写入出口记录"), default=0)
    years = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)  # every progress write; see is_stale

    objects = ImportJobQuerySet.as_manager()
    # Kept in `message` of a job mark_stale_imports() failed, so its page can still say why (translated there).
    STALE_MESSAGE = gettext_noop("导入处理意外停止（后台处理进程已停止），数据库未作任何更改。请重新上传该文件。")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("出口数据导入")
        verbose_name_plural = _("出口数据导入")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def finished(self):
        from .transitions import FINISHED

        return self.status in FINISHED

    @property
    def is_stale(self):
        """Queued or running with no sign of life for SW_IMPORT_STALE: the worker died (or none runs).
        The one rule is transitions.STALENESS, which ImportJob.objects.stale() asks in SQL."""
        from .transitions import STALENESS

        return STALENESS.of(self)

    @property
    def interrupted(self):
        """Stale, or already failed as stale by mark_stale_imports(): shown as 已中断."""
        return self.is_stale or (self.status == self.Status.FAILED and self.message == self.STALE_MESSAGE)

    @property
    def polling(self):
        """The progress fragment asks again only while a worker may still move the job on."""
        from .transitions import BUSY

        return self.status in BUSY and not self.is_stale

    @property
    def report_kept_until(self):
        """When the error report goes (imports.delete_expired_reports)."""
        return self.finished_at + timedelta(days=settings.SW_IMPORT_REPORT_DAYS) if self.finished_at else None

    @property
    def report_days(self):
        return settings.SW_IMPORT_REPORT_DAYS

    @property
    def report_listed(self):
        """How many of the problems the report lists (the first SW_IMPORT_REPORT_ROWS)."""
        return min(self.error_count, settings.SW_IMPORT_REPORT_ROWS)

    @property
    def status_label(self):
        return _("已中断") if self.interrupted else self.get_status_display()



class PublicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import publication_scope

        return self.filter(publication_scope(user))


class Publication(models.Model):
    """名单公示: a bureau publishes the eligible enterprises of its region under a scheme for a period, records
    the objections, then confirms the list; a scheme that requires it issues only to confirmed lists."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("公示中")
        CONFIRMED = "confirmed", _("已确认")
        WITHDRAWN = "withdrawn", _("已撤回")

    scheme = models.ForeignKey("policies.Scheme", verbose_name=_("投保方案"), on_delete=models.PROTECT,
                               related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name=_("公示范围"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    starts_on = models.DateField(_("公示开始日"))
    ends_on = models.DateField(_("公示截止日（含当日）"))
    note = models.TextField(_("公示说明"), blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("发布时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("确认/撤回时间"), null=True)
    reason = models.TextField(_("撤回原因"), blank=True)
    entries = models.PositiveIntegerField(_("企业数"), default=0)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("名单公示")
        verbose_name_plural = _("名单公示")

    def __str__(self):
        return f"{self.scheme} · {self.region}"


class PublicationEntry(models.Model):
    """One enterprise on a published list, as it stood when the list was published (the list does not move)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="rows", db_index=False)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    export_usd = models.DecimalField(_("出口额（美元）"), max_digits=15, decimal_places=2)
    removed = models.BooleanField(_("经异议移出"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["publication", "enterprise"], name="one_entry_per_list")]


class Objection(models.Model):
    """An objection to a published list (异议): by an enterprise of its region, or recorded by the bureau when it
    came by letter or phone; answered by the bureau before the list is confirmed."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="objections")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("所涉企业"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    objector = models.CharField(_("异议人"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=50)
    text = models.TextField(_("异议内容"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("提出时间"))
    answer = models.TextField(_("处理意见"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("处理时间"), null=True)

    class Meta:
        ordering = ["filed_at", "id"]
