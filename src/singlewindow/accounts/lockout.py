"""Lockout with django-axes (docs/decisions/0010): an account locks *from one address* after
AXES_FAILURE_LIMIT failures within the cool-off, and an address (many accounts tried from one place)
after ACCOUNT_ADDRESS_FAILURE_LIMIT. A stranger's failures elsewhere never lock the owner out.

axes keeps the counters (AccessAttempt); this module only weighs them and shapes the answer.
"""
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.http import client_ip


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, also for authenticate() calls that have no request (test client, shell): those
    are not login attempts from anywhere, so there is nothing to count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Lockout parameters are [["username", "ip_address"], "ip_address"]: the pair's count locks at
    AXES_FAILURE_LIMIT, the address's is scaled so that it reaches that limit at
    ACCOUNT_ADDRESS_FAILURE_LIMIT."""

    def counts(self, request, credentials=None):
        """(failures of this username from this address, failures from this address) in the cool-off."""
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        return tuple((counts + [0, 0])[:2])

    def get_failures(self, request, credentials=None):
        by_pair, by_address = self.counts(request, credentials)
        return max(by_pair, by_address * settings.AXES_FAILURE_LIMIT // settings.ACCOUNT_ADDRESS_FAILURE_LIMIT)

    def reset_user_attempts(self, request, credentials=None):
        """A success clears this username's failures from this address only: axes would also clear the
        whole address, so logging in to one's own account would wipe the count of guesses at others."""
        pair = self.filter_user_attempts(request, credentials)[0]
        return pair.delete()[0]


def attempts_left(request, username):
    """How many more failures of `username` from this request's address before a lock (either kind)."""
    AxesProxyHandler.update_request(request)
    by_pair, by_address = LockoutHandler().counts(request, {settings.AXES_USERNAME_FORM_FIELD: username})
    return max(0, min(settings.AXES_FAILURE_LIMIT - by_pair, settings.ACCOUNT_ADDRESS_FAILURE_LIMIT - by_address))

def ip_for_axes(request):
    return client_ip(request)


def lockout_message():
    minutes = int(get_cool_off().total_seconds() // 60)
    return _(
        "登录失败次数过多，该账号在当前网络地址的登录（或当前网络地址的全部登录）已被暂时锁定，请%(minutes)d分钟后再试。"
        "如忘记密码，可点击“忘记密码”通过手机号码或电子邮箱重置，重置后即可登录；"
        "需要立即解锁请联系本企业管理员或单一窗口客服 95198。"
    ) % {"minutes": minutes}


def warning(left):
    """Said after each failure that did not lock: how many tries this address has left for the name."""
    minutes = int(get_cool_off().total_seconds() // 60)
    return _("还可尝试 %(n)d 次，之后该账号将在当前网络地址被锁定%(minutes)d分钟。") % {"n": left, "minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """Keep the page the user was on (the login form re-rendered with the lockout message), as 429."""
    from django.shortcuts import render

    if original_response is not None:
        original_response.status_code = settings.AXES_HTTP_RESPONSE_CODE
        return original_response
    return render(request, "accounts/locked_out.html", {"message": lockout_message()},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


def _recent():
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - get_cool_off())


def account_locks(usernames=None):
    """{username: [(address, time of the last failure)]} for `usernames` (or all) locked now by their own
    failures: where each lock holds and since when (the administrator's 账号解锁 shows both)."""
    rows = _recent()
    if usernames is not None:
        rows = rows.filter(username__in=list(usernames))
    totals = rows.values("username", "ip_address").annotate(
        n=Sum("failures_since_start"), last=Max("attempt_time")).order_by()
    locked = {}
    for row in totals:
        if row["n"] >= settings.AXES_FAILURE_LIMIT:
            locked.setdefault(row["username"], []).append((row["ip_address"], row["last"]))
    return {username: sorted(locks) for username, locks in locked.items()}


def locked_usernames(usernames=None):
    """{username: addresses it is locked from} for `usernames` (or all) locked now by their own failures."""
    return {username: [address for address, _at in locks] for username, locks in account_locks(usernames).items()}


def locked_addresses():
    totals = _recent().values("ip_address").annotate(n=Sum("failures_since_start")).order_by()
    return {row["ip_address"] for row in totals if row["n"] >= settings.ACCOUNT_ADDRESS_FAILURE_LIMIT}


# --- 老用户账号绑定: the same limits, per portal user and per address ------------------------------------

def bind_tries_left(user, ip):
    """How many more wrong answers this user (from any address) and this address may give in the
    cool-off. Only the signed-in user adds to its own count, so no one else can lock it."""
    from .models import LocalBindFailure

    recent = LocalBindFailure.objects.filter(at__gte=timezone.now() - get_cool_off())
    by_user = recent.filter(user=user).count()
    by_address = recent.filter(ip=ip).count() if ip else 0
    return max(0, min(settings.AXES_FAILURE_LIMIT - by_user, settings.ACCOUNT_ADDRESS_FAILURE_LIMIT - by_address))


def record_bind_failure(user, ip):
    from .models import LocalBindFailure

    now = timezone.now()
    LocalBindFailure.objects.filter(at__lt=now - get_cool_off()).delete()
    LocalBindFailure.objects.create(user=user, ip=ip, at=now)


def bind_locked_message():
    minutes = int(get_cool_off().total_seconds() // 60)
    return _(
        "本地账号绑定失败次数过多，已暂停绑定，请%(minutes)d分钟后再试。"
        "如忘记本地账号密码，请联系本企业管理员或单一窗口客服 95198。"
    ) % {"minutes": minutes}


def bind_warning(left):
    minutes = int(get_cool_off().total_seconds() // 60)
    return _("还可尝试 %(n)d 次，之后将暂停账号绑定%(minutes)d分钟。") % {"n": left, "minutes": minutes}
