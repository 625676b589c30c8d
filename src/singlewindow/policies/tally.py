"""The policy tally: policies, premiums and the province's share of them per (scheme, county, status), kept
in the transaction of every status change (docs/decisions/0033-policy-tally.md).

Every path that creates a policy or moves its status calls shift() in its own transaction: _transition and
issue (one policy), issue_many (batch issuance) and _run_system (the calendar). Cells are changed by
`count = count + n` in a fixed order (scheme, county, status), so two transactions touching the same cells
queue on their row locks instead of deadlocking, and neither overwrites the other.
"""
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Sum

from singlewindow.subsidies.services import split

from .models import Policy, PolicyTally, Scheme

ZERO = Decimal("0.00")


def _province_shares(scheme_ids):
    return dict(Scheme.objects.filter(pk__in=scheme_ids).values_list("pk", "province_share"))


def shift(moves):
    """Apply `moves`: (scheme_id, region_id, from_status or None for a new policy, to_status, premium)."""
    moves = [move for move in moves if move[2] != move[3]]
    if not moves:
        return
    shares = _province_shares({move[0] for move in moves})
    deltas = defaultdict(lambda: [0, ZERO, ZERO])
    for scheme_id, region_id, before, after, premium in moves:
        province = split(premium, shares[scheme_id])[0]
        for status, sign in ((before, -1), (after, 1)):
            if status is not None:
                cell = deltas[(scheme_id, region_id, status)]
                cell[0] += sign
                cell[1] += sign * premium
                cell[2] += sign * province
    PolicyTally.objects.bulk_create(
        [PolicyTally(scheme_id=s, region_id=r, status=st) for s, r, st in sorted(deltas)], ignore_conflicts=True)
    for (scheme_id, region_id, status), (n, premium, province) in sorted(deltas.items()):
        if n or premium:
            PolicyTally.objects.filter(scheme_id=scheme_id, region_id=region_id, status=status).update(
                count=F("count") + n, premium=F("premium") + premium, province=F("province") + province)


def actual(policies=None):
    """{(scheme_id, region_id, status): (count, premium, province)} counted from the policies themselves
    (grouped by premium too, so the province's share is split per policy exactly as the ledger splits it)."""
    policies = Policy.objects.all() if policies is None else policies
    cells = defaultdict(lambda: [0, ZERO, ZERO])
    rows = list(policies.values_list("scheme", "enterprise__region", "status", "premium")
                .annotate(n=Count("id")).order_by())
    shares = _province_shares({row[0] for row in rows})
    for scheme_id, region_id, status, premium, n in rows:
        cell = cells[(scheme_id, region_id, status)]
        cell[0] += n
        cell[1] += premium * n
        cell[2] += split(premium, shares[scheme_id])[0] * n
    return {cell: tuple(values) for cell, values in cells.items()}


def differences():
    """[(cell, kept, actual)] where the tally and the policies disagree (cells at zero count as absent)."""
    kept = {(t.scheme_id, t.region_id, t.status): (t.count, t.premium, t.province)
            for t in PolicyTally.objects.all() if t.count or t.premium}
    real = actual()
    return [(cell, kept.get(cell), real.get(cell)) for cell in sorted(set(kept) | set(real))
            if kept.get(cell) != real.get(cell)]


def rebuild():
    """Replace the tally by what the policies say (repairs; inside the caller's transaction). On PostgreSQL
    the table is locked against writers first: a move committed before is counted, one after adds its shift
    to the rebuilt cells."""
    if not connection.in_atomic_block:
        raise RuntimeError("tally.rebuild() must run inside a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {PolicyTally._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    PolicyTally.objects.all().delete()
    PolicyTally.objects.bulk_create([
        PolicyTally(scheme_id=s, region_id=r, status=st, count=n, premium=p, province=pr)
        for (s, r, st), (n, p, pr) in actual().items()
    ])


def cells(scheme, region_q):
    """{(region_id, status): (count, premium, province)} of `scheme` in the counties `region_q` (a Q on `region`)
    selects."""
    return {(r, st): (n, p, pr) for r, st, n, p, pr in PolicyTally.objects.filter(region_q, scheme=scheme, count__gt=0)
            .values_list("region", "status", "count", "premium", "province")}


def branch_counts(branch_id, *, scheme=None, county=None, status=None):
    """{status: policies} of the insurer branch's schemes (policy_scope's insurer rule), or the count of one
    `status`, optionally of one scheme and one county: the 保单审批 tabs and the page count of its queue."""
    if not branch_id:
        return 0 if status is not None else {}
    cells = PolicyTally.objects.filter(scheme__insurer_branch=branch_id)
    if scheme is not None:
        cells = cells.filter(scheme=scheme)
    if county is not None:
        cells = cells.filter(region=county)
    if status is not None:
        return cells.filter(status=status).aggregate(n=Sum("count"))["n"] or 0
    return dict(cells.values_list("status").annotate(n=Sum("count")).order_by())
