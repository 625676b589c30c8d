from django.db import models
from django.utils.translation import gettext_lazy as _

from .identifiers import organisation_code


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        from singlewindow.accounts.scopes import enterprise_scope

        return self.filter(enterprise_scope(user, field="pk", region_field="region"))


class Enterprise(models.Model):
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    org_code = models.CharField(_("组织机构代码"), max_length=9, unique=True, editable=False)
    name = models.CharField(_("企业名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
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
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="export_records")
    year = models.PositiveSmallIntegerField(_("年度"))
    export_usd = models.DecimalField(_("出口额（美元）"), max_digits=16, decimal_places=2)
    source = models.CharField(_("数据来源"), max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="one_export_record_per_year")]
        verbose_name = _("出口记录")
        verbose_name_plural = _("出口记录")
