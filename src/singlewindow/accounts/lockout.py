"""Lockout with django-axes: an account locks after AXES_FAILURE_LIMIT failures within the cool-off,
an address (many accounts tried from one place) after ACCOUNT_ADDRESS_FAILURE_LIMIT.

axes keeps the counters (AccessAttempt); this module only weighs them and shapes the answer.
"""
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.http import client_ip
from singlewindow.validators import storable


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, also for authenticate() calls that have no request (test client, shell): those
    are not login attempts from anywhere, so there is nothing to count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Lockout parameters are ["username", "ip_address"]: the first count locks at AXES_FAILURE_LIMIT,
    the second is scaled so that it reaches that limit at ACCOUNT_ADDRESS_FAILURE_LIMIT."""

    def get_failures(self, request, credentials=None):
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        by_account, by_address = (counts + [0, 0])[:2]
        scaled = by_address * settings.AXES_FAILURE_LIMIT // settings.ACCOUNT_ADDRESS_FAILURE_LIMIT
        return max(by_account, scaled)

    # axes writes the request's User-Agent, Accept and path into its rows as they came: a NUL in one
    # (PostgreSQL text holds none) would turn a login, a card login or a logout into a 500.
    @staticmethod
    def _storable(request):
        for name in ("axes_user_agent", "axes_http_accept", "axes_path_info"):
            if isinstance(getattr(request, name, None), str):
                setattr(request, name, storable(getattr(request, name)))

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        self._storable(request)
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        self._storable(request)
        return super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender, request, user, **kwargs):
        self._storable(request)
        return super().user_logged_out(sender, request, user, **kwargs)


def ip_for_axes(request):
    return client_ip(request)


def lockout_message():
    minutes = int(get_cool_off().total_seconds() // 60)
    return _(
        "登录失败次数过多，该账号（或当前网络地址）已被暂时锁定，请%(minutes)d分钟后再试。"
        "如忘记密码，可点击“忘记密码”通过手机号码或电子邮箱重置，重置后即可登录；"
        "需要立即解锁请联系本企业管理员或单一窗口客服 95198。"
    ) % {"minutes": minutes}


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


def locked_usernames(usernames=None):
    """Which of `usernames` (or which at all) are locked now by their own failures."""
    rows = _recent()
    if usernames is not None:
        rows = rows.filter(username__in=list(usernames))
    totals = rows.values("username").annotate(n=Sum("failures_since_start")).order_by()
    return {row["username"] for row in totals if row["n"] >= settings.AXES_FAILURE_LIMIT}


def locked_addresses():
    totals = _recent().values("ip_address").annotate(n=Sum("failures_since_start")).order_by()
    return {row["ip_address"] for row in totals if row["n"] >= settings.ACCOUNT_ADDRESS_FAILURE_LIMIT}
