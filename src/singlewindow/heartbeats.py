"""When a background job has lost its worker: one rule for every job that beats (DESIGN.md §4).

A job is stale when it is in a busy status and its last sign of life (the first of `signs` that is set:
its heartbeat, else its start, else its creation) is older than its limit. The same rule answers for one
job in Python (`of`) and for many in SQL (`filter`), so a page and the job that fails stale jobs never
disagree. The limit is read when asked (a setting, which tests may change).
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models.functions import Coalesce
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

    def filter(self, queryset, now=None):
        """The stale rows of `queryset`, by the same rule in SQL."""
        return queryset.filter(**{f"{self.field}__in": self.busy}).alias(
            last_sign=Coalesce(*self.signs)).filter(last_sign__lt=self.cutoff(now))
