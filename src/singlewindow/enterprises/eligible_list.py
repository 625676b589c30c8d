"""符合条件企业: for one scheme, per county, the eligible enterprises without a policy and the policies issued,
and the list of the former, paged by key.

No figure is counted by scanning on a view (issue 15): the issued column is the policy tally's (policies/tally.py,
kept in the transaction of every move, so it is exact); the waiting column is the cached count
(eligibility.cached_waiting_by_county: recounted after an import, an issue, a scheme edit or a policy entering
or leaving the statuses that insure, and at most ELIGIBLE_CACHE_SECONDS old; the page says when it was counted).
The list walks USCCs forward or back from a key (no OFFSET, no COUNT), only in the counties that count found
enterprises waiting in: first the enterprises without this scheme's policy (one probe each of the unique
(scheme, enterprise) index, in USCC order), then the whole rule (eligibility.eligible_records) for those few, so
a page costs its rows and the policy holders between them, never a read of every candidate's policies.
"""
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from singlewindow.accounts.scopes import enterprise_scope
from singlewindow.policies import tally
from singlewindow.policies.models import Policy
from singlewindow.regions.models import Region, within

from . import eligibility
from .models import Enterprise

PAGE_SIZE = 50
KEY = re.compile(r"[0-9A-Z]{1,18}")  # a USCC, the key the pages walk


def record_scope(user):
    """The basis-year records (of enterprises) `user` may see."""
    return enterprise_scope(user, field="enterprise", region_field="enterprise__region")


def counts(user, scheme):
    """([(county code, name, waiting, issued)] in code order, when the waiting figures were counted)."""
    waiting, counted_at = eligibility.cached_waiting_by_county(scheme, record_scope(user), eligibility.scope_key(user))
    issued = {}
    for (code, _status), (n, _premium, _province) in tally.cells(scheme, _tally_scope(user)).items():
        issued[code] = issued.get(code, 0) + n
    codes = sorted(code for code in set(waiting) | set(issued) if waiting.get(code) or issued.get(code))
    names = dict(Region.objects.filter(pk__in=codes).values_list("code", "name"))
    return [(code, names.get(code, code), waiting.get(code, 0), issued.get(code, 0)) for code in codes], counted_at


def _tally_scope(user):
    """The tally's counties `user` may see: enterprise_scope's regions, on the tally's own `region`."""
    return enterprise_scope(user, field="region", region_field="region")


@dataclass
class Page:
    rows: list  # ExportRecords with their enterprise and its county
    next_after: str = ""  # the key of the next page, "" when this is the last
    previous_before: str = ""  # the key of the page before, "" when this is the first


def page(user, scheme, counted, *, county=None, after="", before=""):
    """The PAGE_SIZE eligible records without a policy after the USCC `after` (or before `before`), within
    `county` (a Region; None: all) and the counties `counted` (counts()'s rows) found waiting."""
    live = [code for code, _name, waiting, _issued in counted
            if waiting and (county is None or code.startswith(county.prefix))]
    if not live:
        return Page([])
    candidates = Enterprise.objects.visible_to(user).filter(region__in=live).exclude(
        Exists(Policy.objects.filter(scheme=scheme, enterprise=OuterRef("pk"))))
    if county is not None:
        candidates = candidates.filter(within([county]))
    records = eligibility.eligible_records(scheme).filter(record_scope(user)).select_related("enterprise__region")
    backwards = bool(before)
    found, key = [], before or after
    while len(found) <= PAGE_SIZE:
        step = candidates.filter(uscc__lt=key) if backwards else candidates.filter(uscc__gt=key) if key else candidates
        batch = list(step.order_by("-uscc" if backwards else "uscc").values_list("pk", "uscc")[:2 * PAGE_SIZE])
        held = {row.enterprise_id: row for row in records.filter(enterprise__in=[pk for pk, _uscc in batch])}
        found += [held[pk] for pk, _uscc in batch if pk in held]
        if len(batch) < 2 * PAGE_SIZE:
            break
        key = batch[-1][1]
    more = len(found) > PAGE_SIZE
    rows = found[:PAGE_SIZE]
    if backwards:
        rows.reverse()
        return Page(rows, rows[-1].enterprise.uscc if rows else "", rows[0].enterprise.uscc if more else "")
    return Page(rows, rows[-1].enterprise.uscc if more else "", rows[0].enterprise.uscc if after and rows else "")
