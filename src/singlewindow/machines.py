"""State machines, the same way for every status field (decision 0001): one table, one move per action.

A model's statuses are `TextChoices`; its machine lists the allowed moves. Services call `move()`, a
conditional `UPDATE … WHERE status IN (sources)` checked by its row count, so a second click or a second
worker is refused on PostgreSQL and on SQLite alike; tests walk `edges()`.
"""
from collections import deque
from dataclasses import dataclass

from django.utils.translation import gettext as _


class Refused(Exception):
    """A business rule said no. `code` is for programs (the API's problem type), `message` for people."""

    def __init__(self, code, message, detail=""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail  # for the log and the security team, never shown (e.g. which card check failed)

    def __str__(self):
        return str(self.message)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    actor_role: str | None = None  # None: the system (a job) or whoever the service admits
    label: str = ""


class Machine:
    def __init__(self, statuses, transitions, field="status"):
        self.statuses = statuses
        self.field = field
        self.transitions = {t.action: t for t in transitions}
        unknown = {s for t in transitions for s in (*t.sources, t.target)} - set(statuses.values)
        assert not unknown, f"{statuses.__name__}: unknown statuses {unknown}"

    def __getitem__(self, action):
        return self.transitions[action]

    def allowed(self, action, status):
        return status in self.transitions[action].sources

    def refusal(self, action, status, subject=""):
        """The refusal for `action` from `status`: "already done" when it is where the action leads."""
        transition = self.transitions[action]
        label = self.statuses(status).label if status in self.statuses.values else status
        if status == transition.target:
            return Refused("already", _("%(subject)s已是“%(status)s”状态，无需重复操作。") % {
                "subject": subject, "status": label})
        return Refused("state", _("%(subject)s当前状态为“%(status)s”，不能%(action)s。页面可能已过期，请刷新后查看。") % {
            "subject": subject, "status": label, "action": transition.label})

    def check(self, action, status, subject=""):
        if not self.allowed(action, status):
            raise self.refusal(action, status, subject)

    def try_move(self, queryset, pk, action, *, when=None, **fields):
        """The conditional UPDATE alone: True when row `pk` of `queryset` was in a source status (and matched
        the extra condition `when`, a Q: a claim token, a due date) and moved; False when it was not."""
        transition = self.transitions[action]
        rows = queryset.filter(pk=pk, **{f"{self.field}__in": transition.sources})
        if when is not None:
            rows = rows.filter(when)
        return rows.update(**{self.field: transition.target}, **fields) == 1

    def move(self, queryset, pk, action, subject="", *, when=None, **fields):
        """Move row `pk` of `queryset` along `action` or raise Refused; other `fields` change with it."""
        if not self.try_move(queryset, pk, action, when=when, **fields):
            current = queryset.filter(pk=pk).values_list(self.field, flat=True).first()
            raise self.refusal(action, current, subject)
        return self.transitions[action]

    def path(self, start, target):
        """The shortest list of actions that leads from `start` to `target` (tests walk it to put a row in a
        status the way the product would), or None when the table has no such path."""
        paths, todo = {start: []}, deque([start])
        while todo:
            here = todo.popleft()
            for action, transition in self.transitions.items():
                if here in transition.sources and transition.target not in paths:
                    paths[transition.target] = [*paths[here], action]
                    todo.append(transition.target)
        return paths.get(target)

    def edges(self):
        """(allowed, refused): every (action, status) pair, for tests generated from the table."""
        allowed = [(a, s) for a, t in self.transitions.items() for s in sorted(t.sources)]
        refused = [(a, s) for a, t in self.transitions.items() for s in self.statuses.values if s not in t.sources]
        return allowed, refused
