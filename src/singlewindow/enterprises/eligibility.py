"""Who may be insured under a scheme. A query, never a flag copied around (DESIGN.md §3).

An enterprise is eligible for a scheme when
- its basis-year exports (ExportRecord of scheme.basis_year) are above zero and under the threshold
  (strictly: exactly the threshold is not eligible);
- its county lies in the scheme's region;
- it has no policy of an overlapping period: none under this scheme in any status (one per scheme),
  and none under another scheme whose cover period overlaps this one's, unless that policy ended
  without cover (已放弃, 已撤销, 已过期).
"""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.policies.models import Policy, PolicyStatus, Scheme

from .models import Enterprise, ExportRecord

# Statuses in which a policy insures (or is on its way to insure) its period.
HOLDING = (PolicyStatus.PENDING, PolicyStatus.CONFIRMED, PolicyStatus.RETURNED, PolicyStatus.EFFECTIVE,
           PolicyStatus.EXPIRED)


def blocking_policies(scheme):
    """Policies that stop a new one under `scheme` for their enterprise."""
    overlapping = Q(
        status__in=HOLDING, scheme__cover_start__lte=scheme.cover_end, scheme__cover_end__gte=scheme.cover_start,
    )
    return Policy.objects.filter(Q(scheme=scheme) | overlapping)


def eligible_records(scheme):
    """The basis-year ExportRecords of the eligible enterprises (one per enterprise)."""
    return ExportRecord.objects.filter(
        year=scheme.basis_year, export_usd__gt=0, export_usd__lt=scheme.threshold_usd,
        enterprise__region__code__startswith=scheme.region.prefix,
    ).exclude(Exists(blocking_policies(scheme).filter(enterprise=OuterRef("enterprise"))))


def eligible(scheme):
    """The eligible enterprises themselves."""
    return Enterprise.objects.filter(pk__in=eligible_records(scheme).values("enterprise"))


def counts_by_county(scheme, scope=Q()):
    """[(region code, eligible without a policy, holding this scheme's policy)] within `scope`."""
    records = eligible_records(scheme).filter(scope)
    waiting = dict(records.values_list("enterprise__region").annotate(n=Count("id")).order_by())
    issued = dict(
        Policy.objects.filter(scheme=scheme).filter(scope).values_list("enterprise__region")
        .annotate(n=Count("id")).order_by()
    )
    return sorted(
        ((code, waiting.get(code, 0), issued.get(code, 0)) for code in set(waiting) | set(issued)),
        key=lambda row: row[0],
    )


def open_schemes(today=None):
    """Schemes an enterprise can still join: the confirmation deadline (inclusive) is not past."""
    today = today or timezone.localdate()
    return Scheme.objects.filter(confirm_deadline__gte=today, cover_end__gte=today).select_related("region")


@dataclass
class Verdict:
    scheme: Scheme
    eligible: bool
    reason: str  # eligible | outside_region | insured | no_record | zero | over_threshold
    message: str
    export_usd: Decimal | None = None
    policy: Policy | None = None


def _usd(amount):
    return f"USD {amount:,.2f}"


def explain(enterprise, scheme):
    """Whether `enterprise` is eligible for `scheme` and, if not, why, in words for the enterprise."""
    if not scheme.region.contains(enterprise.region):
        return Verdict(scheme, False, "outside_region", _(
            "贵企业所在县区（%(county)s）不在本方案的适用区域（%(region)s）内。"
        ) % {"county": enterprise.region, "region": scheme.region})
    policy = blocking_policies(scheme).filter(enterprise=enterprise).select_related("scheme").first()
    if policy is not None:
        words = {"number": policy.number, "scheme": policy.scheme, "status": policy.get_status_display()}
        if policy.scheme_id == scheme.pk:
            message = _("贵企业在本方案下已有保单 %(number)s（%(status)s），每家企业每个方案只出一份保单。") % words
        else:
            message = _("贵企业已有保单 %(number)s（%(scheme)s，%(status)s），保险期间与本方案重叠，不能重复投保。") % words
        return Verdict(scheme, False, "insured", message, policy=policy)
    record = enterprise.export_records.filter(year=scheme.basis_year).first()
    if record is None:
        return Verdict(scheme, False, "no_record", _(
            "海关出口数据中没有贵企业 %(year)d 年度的出口记录。如有出口，请联系所在地商务主管部门核实。"
        ) % {"year": scheme.basis_year})
    if record.export_usd <= 0:
        return Verdict(scheme, False, "zero", _(
            "贵企业 %(year)d 年度出口额为零，本方案只面向有出口实绩的企业。"
        ) % {"year": scheme.basis_year}, export_usd=record.export_usd)
    if record.export_usd >= scheme.threshold_usd:
        return Verdict(scheme, False, "over_threshold", _(
            "贵企业 %(year)d 年度出口额为 %(amount)s，不低于本方案的上限 %(limit)s。"
        ) % {"year": scheme.basis_year, "amount": _usd(record.export_usd), "limit": _usd(scheme.threshold_usd)},
            export_usd=record.export_usd)
    return Verdict(scheme, True, "eligible", _(
        "贵企业 %(year)d 年度出口额为 %(amount)s，低于 %(limit)s，符合本方案的免费投保条件。"
    ) % {"year": scheme.basis_year, "amount": _usd(record.export_usd), "limit": _usd(scheme.threshold_usd)},
        export_usd=record.export_usd)


def verdicts_for(enterprise, today=None):
    """One Verdict per open scheme covering the enterprise's county; else one per open scheme elsewhere."""
    schemes = list(open_schemes(today))
    here = [s for s in schemes if s.region.contains(enterprise.region)]
    return [explain(enterprise, s) for s in (here or schemes)]
