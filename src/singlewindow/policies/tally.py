"""The policy tally: policies and premiums per (scheme, county, status), kept in the transaction of every
status change (docs/decisions/0033-policy-tally.md).

Every path that creates a policy or moves its status calls shift() in its own transaction: _transition and
issue (one policy), issue_many (batch issuance) and _run_system (the calendar). Cells are changed by
`count = count + n` in a fixed order (scheme, county, status), so two transactions touching the same cells
queue on their row locks instead of deadlocking, and neither overwrites the other.
"""
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Sum

from .models import Policy, PolicyTally

ZERO = Decimal("0.00")


def shift(moves):
    """Apply `moves`: (scheme_id, region_id, from_status or None for a new policy, to_status, premium)."""
    deltas = defaultdict(lambda: [0, ZERO])
    for scheme_id, region_id, before, after, premium in moves:
        if before == after:
            continue
        if before is not None:
            cell = deltas[(scheme_id, region_id, before)]
            cell[0] -= 1
            cell[1] -= premium
        cell = deltas[(scheme_id, region_id, after)]
        cell[0] += 1
        cell[1] += premium
    if not deltas:
        return
    PolicyTally.objects.bulk_create(
        [PolicyTally(scheme_id=s, region_id=r, status=st) for s, r, st in sorted(deltas)], ignore_conflicts=True)
    for (scheme_id, region_id, status), (n, premium) in sorted(deltas.items()):
        if n or premium:
            PolicyTally.objects.filter(scheme_id=scheme_id, region_id=region_id, status=status).update(
                count=F("count") + n, premium=F("premium") + premium)


def actual(policies=None):
    """{(scheme_id, region_id, status): (count, premium)} counted from the policies themselves."""
    policies = Policy.objects.all() if policies is None else policies
    return {
        (scheme_id, region_id, status): (n, premium)
        for scheme_id, region_id, status, n, premium in policies.values_list(
            "scheme", "enterprise__region", "status").annotate(n=Count("id"), p=Sum("premium")).order_by()
    }


def differences():
    """[(cell, kept, actual)] where the tally and the policies disagree (cells at zero count as absent)."""
    kept = {(t.scheme_id, t.region_id, t.status): (t.count, t.premium)
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
        PolicyTally(scheme_id=s, region_id=r, status=st, count=n, premium=p) for (s, r, st), (n, p) in actual().items()
    ])


def cells(scheme, region_q):
    """{(region_id, status): (count, premium)} of `scheme` in the counties `region_q` (a Q on `region`) selects."""
    return {(r, st): (n, p) for r, st, n, p in PolicyTally.objects.filter(region_q, scheme=scheme, count__gt=0)
            .values_list("region", "status", "count", "premium")}
