"""单一窗口管理: the administrator's home — look up an enterprise or an account, see who is locked out.

Read-only: unlocking stays on 账号解锁 (accounts), imports on 数据导入 (enterprises); this page finds
and links. Every lookup goes through the models' `visible_to`, which gives the administrator all rows.
"""
from django import forms
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from singlewindow.accounts import lockout
from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role, User
from singlewindow.enterprises.models import Enterprise

SHOWN = 20  # rows of each kind a lookup lists; a longer answer asks for a narrower term


class LookupForm(forms.Form):
    q = forms.CharField(label=_("查询企业或账号"), max_length=50, required=False,
                        help_text=_("企业名称、统一社会信用代码，或用户名、姓名、手机号码"),
                        error_messages={"max_length": _("查询内容最多 %(limit_value)d 个字。")})


def _enterprises(staff, term):
    return (Enterprise.objects.visible_to(staff)
            .filter(Q(name__icontains=term) | Q(uscc__iexact=term.upper()) | Q(org_code__iexact=term.upper()))
            .select_related("region").annotate(accounts=Count("users", filter=Q(users__removed_at__isnull=True)))
            .order_by("name")[:SHOWN + 1])


def _users(staff, term):
    return list(User.objects.visible_to(staff)
                .filter(Q(username__icontains=term) | Q(display_name__icontains=term) | Q(mobile=term)
                        | Q(enterprise__uscc__iexact=term.upper()))
                .select_related("enterprise", "insurer_branch", "region").order_by("username")[:SHOWN + 1])


@role_required(Role.STAFF)
@require_GET
def staff_home(request):
    form = LookupForm(request.GET or None)
    enterprises = users = None
    if form.is_valid() and form.cleaned_data["q"]:
        term = form.cleaned_data["q"]
        enterprises, users = list(_enterprises(request.user, term)), _users(request.user, term)
    locks = lockout.account_locks()  # the accounts locked now: a handful of rows, grouped in the database
    rows = [(user, locks.get(user.username, [])) for user in users[:SHOWN]] if users is not None else None
    return render(request, "portal/staff_home.html", {
        "form": form, "enterprises": enterprises, "users": rows, "more_users": users and len(users) > SHOWN,
        "shown": SHOWN, "locked_count": len(locks),
    })
