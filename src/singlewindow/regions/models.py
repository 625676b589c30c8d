from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A GB/T 2260 division. Codes nest by prefix: 44 → 4415 → 441521."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("省")
        PREFECTURE = 2, _("地级市")
        COUNTY = 3, _("县级")

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self):
        return self.name

    @property
    def prefix(self):
        """The code prefix every division inside this one shares."""
        return self.code[: 2 * self.level]

    def contains(self, other):
        return other is not None and other.code.startswith(self.prefix)


def within(regions, field="region"):
    """A Q matching rows whose `field` (a Region FK) lies in any of `regions`."""
    condition = Q(pk__in=[])
    for region in regions:
        condition |= Q(**{f"{field}__code__startswith": region.prefix})
    return condition
