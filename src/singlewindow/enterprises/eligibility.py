"""Who may be insured under a scheme. A query, never a flag copied around (DESIGN.md §3).

An enterprise is eligible for a scheme when
- its basis-year exports (ExportRecord of scheme.basis_year) are above zero and under the threshold
  (strictly: exactly the threshold is not eligible);
- its county lies in the scheme's region;
- it has no policy of an overlapping period: none under this scheme in any status (one per scheme),
  and none under another scheme whose cover period overlaps this one's, unless that policy ended
  without cover (已放弃, 已撤销, 已过期).
"""
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.policies.models import Policy, Scheme
from singlewindow.policies.transitions import HOLDING  # statuses in which a policy insures (or will) its period

from .models import Enterprise, ExportRecord, Publication, PublicationEntry
from .templatetags.money import format_money


def blocking_policies(scheme):
    """Policies that stop a new one under `scheme` for their enterprise."""
    overlapping = Q(
        status__in=HOLDING, scheme__cover_start__lte=scheme.cover_end, scheme__cover_end__gte=scheme.cover_start,
    )
    return Policy.objects.filter(Q(scheme=scheme) | overlapping)


def _not_insured(scheme, enterprise):
    """No blocking_policies() for `enterprise`, asked as two probes: this scheme's policy first, by the unique
    (scheme, enterprise) index alone, so the enterprises that hold one (after issuance, nearly all) cost one
    index look-up and no read of their other policies (issue 15: 符合条件企业 at a million policies)."""
    return (~Exists(Policy.objects.filter(scheme=scheme, enterprise=enterprise))
            & ~Exists(blocking_elsewhere(scheme).filter(enterprise=enterprise)))


def _enterprise_terms(scheme, path="", published=True):
    """What the rule asks of the enterprise itself, reached through `path` from the model queried
    ("" on Enterprise, "enterprise__" on its ExportRecord). Each term is keyed by the reason explain()
    gives when it fails, in the order explain() checks them. A scheme that requires 名单公示 also asks for
    the enterprise on a confirmed list (`published=False` leaves that out: the list is made from the rest)."""
    terms = {
        "outside_region": Q(**{f"{path}region__code__startswith": scheme.region.prefix}),
        "insured": _not_insured(scheme, OuterRef(path[:-2] or "pk")),
    }
    if published and scheme.publication_required:
        terms["unpublished"] = Exists(confirmed_entries(scheme).filter(enterprise=OuterRef(path[:-2] or "pk")))
    return terms


def confirmed_entries(scheme):
    """The enterprises on `scheme`'s confirmed 公示 lists (not taken off by an objection)."""
    return PublicationEntry.objects.filter(publication__scheme=scheme, publication__status=Publication.Status.CONFIRMED,
                                           removed=False)


def _record_terms(scheme):
    """What the rule asks of the enterprise's basis-year ExportRecord (none at all: not eligible), keyed
    like _enterprise_terms."""
    return {"zero": Q(export_usd__gt=0), "over_threshold": Q(export_usd__lt=scheme.threshold_usd)}


def eligible_records(scheme, published=True):
    """The basis-year ExportRecords of the eligible enterprises (one per enterprise).

    Batch issuance walks this query; explain() evaluates the very same terms for one enterprise."""
    terms = {**_enterprise_terms(scheme, "enterprise__", published), **_record_terms(scheme)}
    return ExportRecord.objects.filter(year=scheme.basis_year).filter(*terms.values())


def basis_records(scheme):
    """The basis-year ExportRecords within the scheme's export condition (its record terms), whoever holds them."""
    return ExportRecord.objects.filter(year=scheme.basis_year).filter(*_record_terms(scheme).values())


def blocking_elsewhere(scheme):
    """blocking_policies() under other schemes: they bar an enterprise even once it holds this scheme's policy."""
    return blocking_policies(scheme).exclude(scheme=scheme)


def conditions_met(scheme):
    """Q on Enterprise: the rule but its "no policy under this scheme" term, so an enterprise issued this
    scheme's policy still meets the conditions it was issued on (企业名单's 符合条件). Like published=False,
    it leaves the 公示 list out."""
    return (_enterprise_terms(scheme, published=False)["outside_region"]
            & Exists(basis_records(scheme).filter(enterprise=OuterRef("pk")))
            & ~Exists(blocking_elsewhere(scheme).filter(enterprise=OuterRef("pk"))))


def _flags(queryset, terms, *fields):
    """The first row of `queryset` as {field: value, term: holds}, or None when there is no row."""
    flags = {name: ExpressionWrapper(term, output_field=BooleanField()) for name, term in terms.items()}
    return queryset.annotate(**flags).values(*fields, *flags).first()


def waiting_by_county(scheme, scope=None):
    """{region code: eligible enterprises without a policy} within `scope` (a Q; all when None)."""
    records = eligible_records(scheme).filter(Q() if scope is None else scope)
    return dict(records.values_list("enterprise__region").annotate(n=Count("id")).order_by())


def counts_by_county(scheme, scope=None):
    """[(region code, eligible without a policy, holding this scheme's policy)] within `scope` (a Q; all when None)."""
    scope = Q() if scope is None else scope
    waiting = waiting_by_county(scheme, scope)
    issued = dict(
        Policy.objects.filter(scheme=scheme).filter(scope).values_list("enterprise__region")
        .annotate(n=Count("id")).order_by()
    )
    return sorted(
        ((code, waiting.get(code, 0), issued.get(code, 0)) for code in set(waiting) | set(issued)),
        key=lambda row: row[0],
    )


# waiting_by_county() scans every basis-year record of the region; the dashboard keeps its answer until
# something that changes eligibility happens (changed(): an import, an issue, a scheme edited, a policy
# leaving or entering the statuses that insure) and at most ELIGIBLE_CACHE_SECONDS in any case.
ELIGIBLE_CACHE_SECONDS = 600
_VERSION_KEY = "eligibility:version"


def changed():
    """Eligibility may have changed: cached counts are recomputed on their next read (after commit)."""
    transaction.on_commit(lambda: cache.set(_VERSION_KEY, secrets.token_hex(8), None))


def cached_waiting_by_county(scheme, scope, scope_key):
    """(waiting_by_county(scheme, scope), when it was computed); `scope_key` names the scope in the key."""
    version = cache.get(_VERSION_KEY) or "0"
    key = f"eligibility:waiting:{version}:{scheme.pk}:{scope_key}"
    found = cache.get(key)
    if found is None:
        found = (waiting_by_county(scheme, scope), timezone.now())
        cache.set(key, found, ELIGIBLE_CACHE_SECONDS)
    return found


def scope_key(user):
    """Names the enterprises `user` may see (accounts.scopes.enterprise_scope) in cached_waiting_by_county's key:
    readers with one key see the same enterprises (a bureau's and the administrator's as 统计分析 names them)."""
    key = f"{user.role}:{user.region_id or ''}"
    return f"{key}:{user.insurer_branch_id}" if user.insurer_branch_id else key


def open_schemes(today=None):
    """Schemes an enterprise can still join: the confirmation deadline (inclusive) is not past."""
    today = today or timezone.localdate()
    return Scheme.objects.filter(confirm_deadline__gte=today, cover_end__gte=today).select_related("region")


@dataclass
class Verdict:
    scheme: Scheme
    eligible: bool
    reason: str  # eligible | outside_region | insured | unpublished | no_record | zero | over_threshold
    message: str
    export_usd: Decimal | None = None
    policy: Policy | None = None

    @property
    def duplicate(self):
        """Refused because the enterprise already has this scheme's policy: no exception can override it."""
        return self.policy is not None and self.policy.scheme_id == self.scheme.pk

    @property
    def to_insurer(self):
        """The message, written to the enterprise (贵企业), as the insurer reads it about the enterprise."""
        return self.message.replace(_("贵企业"), _("该企业"))


def _usd(amount):
    return f"USD {format_money(amount)}"


def explain(enterprise, scheme):
    """Whether `enterprise` is eligible for `scheme` and, if not, why, in words for the enterprise.

    The terms are eligible_records()'s, evaluated in the database for this one enterprise, so the
    verdict is the batch's and 申领's and manual issue's alike."""
    held = _flags(Enterprise.objects.filter(pk=enterprise.pk), _enterprise_terms(scheme))
    if held is None or not held["outside_region"]:
        return Verdict(scheme, False, "outside_region", _(
            "贵企业所在县区（%(county)s）不在本方案的适用区域（%(region)s）内。"
        ) % {"county": enterprise.region, "region": scheme.region})
    if not held["insured"]:
        policy = blocking_policies(scheme).filter(enterprise=enterprise).select_related("scheme").first()
        words = {"number": policy.number, "scheme": policy.scheme, "status": policy.get_status_display()}
        if policy.scheme_id == scheme.pk:
            message = _("贵企业在本方案下已有保单 %(number)s（%(status)s），每家企业每个方案只出一份保单。") % words
        else:
            message = _("贵企业已有保单 %(number)s（%(scheme)s，%(status)s），保险期间与本方案重叠，不能重复投保。") % words
        return Verdict(scheme, False, "insured", message, policy=policy)
    if held.get("unpublished") is False:
        return Verdict(scheme, False, "unpublished", _(
            "本方案须经名单公示：贵企业不在所在地商务主管部门公示并确认的企业名单内。如有异议，请联系所在地商务主管部门。"))
    record = _flags(ExportRecord.objects.filter(enterprise=enterprise, year=scheme.basis_year), _record_terms(scheme),
                    "export_usd")
    if record is None:
        return Verdict(scheme, False, "no_record", _(
            "海关出口数据中没有贵企业 %(year)d 年度的出口记录。如有出口，请联系所在地商务主管部门核实。"
        ) % {"year": scheme.basis_year})
    usd = record["export_usd"]
    if not record["zero"]:
        return Verdict(scheme, False, "zero", _(
            "贵企业 %(year)d 年度出口额为零，本方案只面向有出口实绩的企业。"
        ) % {"year": scheme.basis_year}, export_usd=usd)
    if not record["over_threshold"]:
        return Verdict(scheme, False, "over_threshold", _(
            "贵企业 %(year)d 年度出口额为 %(amount)s，不低于本方案的上限 %(limit)s。"
        ) % {"year": scheme.basis_year, "amount": _usd(usd), "limit": _usd(scheme.threshold_usd)},
            export_usd=usd)
    return Verdict(scheme, True, "eligible", _(
        "贵企业 %(year)d 年度出口额为 %(amount)s，低于 %(limit)s，符合本方案的免费投保条件。"
    ) % {"year": scheme.basis_year, "amount": _usd(usd), "limit": _usd(scheme.threshold_usd)},
        export_usd=usd)


def verdicts_for(enterprise, today=None):
    """One Verdict per open scheme covering the enterprise's county; else one per open scheme elsewhere."""
    schemes = list(open_schemes(today))
    here = [s for s in schemes if s.region.contains(enterprise.region)]
    return [explain(enterprise, s) for s in (here or schemes)]
