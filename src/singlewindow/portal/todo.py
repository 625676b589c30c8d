"""待办事项: what the signed-in party has to do next, for the home page (issue 11 #8).

Each line is counted through the model's `visible_to`, so the home page never tells one party about
another's policies. A few grouped COUNTs per page view: cheap next to the page itself.
"""
from dataclasses import dataclass

from django.db.models import Count, Min
from django.urls import reverse
from django.utils.translation import ngettext

from singlewindow.accounts.models import Role
from singlewindow.policies.models import Application, Policy, PolicyStatus


@dataclass(frozen=True)
class Todo:
    text: str
    url: str
    urgent: bool = False


def _list(status):
    return f"{reverse('policies:list')}?status={status}"


def for_enterprise(user):
    policies = Policy.objects.visible_to(user)
    counts = dict(policies.values_list("status").annotate(n=Count("id")).order_by())
    todos = []
    def deadline(status):  # the earliest 确认截止日 among them: both waiting tabs lapse on it
        day = policies.filter(status=status).aggregate(d=Min("scheme__confirm_deadline"))["d"]
        return f"{day:%Y-%m-%d}"

    pending = counts.get(PolicyStatus.PENDING, 0)
    if pending:
        todos.append(Todo(ngettext(
            "%(n)d 份待确认保单，截止 %(date)s（含当日）", "%(n)d 份待确认保单，截止 %(date)s（含当日）", pending,
        ) % {"n": pending, "date": deadline(PolicyStatus.PENDING)}, _list(PolicyStatus.PENDING), urgent=True))
    returned = counts.get(PolicyStatus.RETURNED, 0)
    if returned:
        todos.append(Todo(ngettext(
            "%(n)d 份保单被保险公司退回，请按退回原因修改后重新确认投保，截止 %(date)s（含当日）",
            "%(n)d 份保单被保险公司退回，请按退回原因修改后重新确认投保，截止 %(date)s（含当日）",
            returned) % {"n": returned, "date": deadline(PolicyStatus.RETURNED)}, _list(PolicyStatus.RETURNED),
            urgent=True))
    for status, text in [
        (PolicyStatus.CONFIRMED, lambda n: ngettext("%(n)d 份保单审批中，等待保险公司审批",
                                                    "%(n)d 份保单审批中，等待保险公司审批", n)),
        (PolicyStatus.EFFECTIVE, lambda n: ngettext("%(n)d 份保单已生效", "%(n)d 份保单已生效", n)),
    ]:
        if counts.get(status):
            todos.append(Todo(text(counts[status]) % {"n": counts[status]}, _list(status)))
    return todos


def for_insurer(user):
    todos = []
    waiting = Policy.objects.visible_to(user).filter(status=PolicyStatus.CONFIRMED).count()
    if waiting:
        todos.append(Todo(ngettext("%(n)d 份保单待审批", "%(n)d 份保单待审批", waiting) % {"n": waiting},
                          f"{reverse('insurer:list')}?status={PolicyStatus.CONFIRMED}", urgent=True))
    applied = Application.objects.visible_to(user).filter(status=Application.Status.SUBMITTED).count()
    if applied:
        todos.append(Todo(ngettext("%(n)d 份申领待出单", "%(n)d 份申领待出单", applied) % {"n": applied},
                          reverse("insurer:applications"), urgent=True))
    return todos


TODOS = {Role.ENTERPRISE: for_enterprise, Role.INSURER: for_insurer}


def todos_for(user):
    """The party's to-do lines, most urgent first; None when this role has no to-do list on the home page."""
    if not user.is_authenticated or user.role not in TODOS:
        return None
    return sorted(TODOS[user.role](user), key=lambda todo: not todo.urgent)
