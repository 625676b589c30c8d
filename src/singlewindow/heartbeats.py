"""When a background job has lost its worker: one rule for every job that beats (DESIGN.md §4).

A job is stale when it is in a busy status and its last sign of life (the first of `signs` that is set:
its heartbeat, else its start, else its creation) is older than its limit. The same rule answers for one
job in Python (`of`) and in SQL (`filter`, or `condition` for a conditional UPDATE of the job's own row),
so a page and the job that fails or resumes stale jobs never disagree. The limit is read when asked (a setting, which tests may change).
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone


@dataclass(frozen=True)
class Staleness:
    busy: frozenset  # the statuses in which a worker moves the job on
    signs: tuple  # the fields that show life, the most recent kind first
    limit: Callable  # () -> timedelta: how long without a sign means the worker is gone
    field: str = "status"

    def cutoff(self, now=None):
        """A busy job whose last sign is older than this is stale."""
        return (now or timezone.now()) - self.limit()

    def last_sign(self, job):
        return next((value for value in (getattr(job, name) for name in self.signs) if value), None)

    def of(self, job, now=None):
        last = self.last_sign(job)
        return getattr(job, self.field) in self.busy and last is not None and last < self.cutoff(now)

    def condition(self, now=None):
        """The same rule as a Q on the row's own columns: the `when` of a move that only a stale job may make
        (Machine.try_move), so the UPDATE itself decides, on the row as it is then."""
        return Q(**{f"{self.field}__in": self.busy}) & Q(LessThan(Coalesce(*self.signs), self.cutoff(now)))

    def filter(self, queryset, now=None):
        """The stale rows of `queryset`, by the same rule in SQL."""
        return queryset.filter(self.condition(now))
