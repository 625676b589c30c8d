"""When a session ends (docs/decisions/0009-eport-card.md, "Sessions").

- SW_SESSION_IDLE_MINUTES after its last request, and SW_SESSION_MAX_HOURS after its login at the latest:
  SessionLimitsMiddleware, from the login time and a last-seen time kept in the session. The rule that keeps
  a request from writing its session: the last-seen time is rewritten only when older than
  SW_SESSION_TOUCH_SECONDS (60), so an active session costs one session write a minute, not one a request, and
  the idle limit holds to that granularity (the logout comes up to a minute late, never early).
- When the credential behind it changes: the password (Django's session hash is made from it), the account's
  status (停用/启用/删除) or a card it logged in with being revoked. The last two call end_sessions(), which
  bumps User.credential_version; the session hash covers it too, and Django compares that hash on every
  request already, so those sessions end at their next request with no extra query, whatever the engine.
  The user it compares is usually the cached copy (accounts.usercache), which any change of the row makes stale.
"""
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth, messages
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)
LOGIN_AT = "sw_login_at"
SEEN_AT = "sw_seen_at"

clock = time.time  # seconds; tests put their own clock here
# What a page asks for on its own (the notice popup polls every 20 s) is not activity: it does not keep a
# session alive, though a timed-out one answers it by sending the page to the login.
PASSIVE_URLS = ("notifications:popup",)


def end_sessions(user_id):
    """End every session of this account at its next request: a credential behind them changed.
    Runs in the caller's transaction, so a change that rolls back ends nothing."""
    from singlewindow.accounts.models import User

    User.objects.filter(pk=user_id).update(credential_version=F("credential_version") + 1)


def stamp_login(sender, request, user, **kwargs):
    """user_logged_in: a session's clock starts at its login (password, card or a test's force_login)."""
    request.session[LOGIN_AT] = request.session[SEEN_AT] = int(clock())


def _ended(session, now):
    """Why this logged-in session has ended ("idle", "max"), or None while it may go on."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return "max"  # a session from before these limits: its age is unknown
    if now - login_at >= settings.SW_SESSION_MAX_HOURS * 3600:
        return "max"
    # seen_at lags the last request by under SW_SESSION_TOUCH_SECONDS: the session ends between the stated idle
    # time and that much after it, never before.
    if now - seen_at >= settings.SW_SESSION_IDLE_MINUTES * 60 + settings.SW_SESSION_TOUCH_SECONDS:
        return "idle"
    return None


def _timed_out(request, why):
    log.info("session of user %s ended: %s", request.session.get(auth.SESSION_KEY), why)
    auth.logout(request)
    if why == "idle":
        detail = _("为保护您的账号安全，连续%(minutes)d分钟无操作将自动退出登录。") % {
            "minutes": settings.SW_SESSION_IDLE_MINUTES}
    else:
        detail = _("为保护您的账号安全，每次登录最长可使用%(hours)d小时。") % {"hours": settings.SW_SESSION_MAX_HOURS}
    message = _("登录已超时，请重新登录。%(detail)s") % {"detail": detail}
    messages.warning(request, message)  # shown by the login page
    script = request.headers.get("HX-Request") or request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
    login = reverse("portal:login")
    back = _page_of(request) if script else request.get_full_path() if request.method == "GET" else ""
    if back and urlsplit(back).path != login:
        login = f"{login}?{urlencode({'next': back})}"
    if script:  # htmx or fetch cannot show a redirected page: they are told where to send it
        response = JsonResponse({"error": message, "login": login}, status=401)
        response["HX-Redirect"] = login
        return response
    return redirect(login)


def _page_of(request):
    """The path of the page a script's request came from, when it is a page of this site."""
    url = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _passive(request):
    return request.path_info in {reverse(name) for name in PASSIVE_URLS}


class SessionLimitsMiddleware:
    """Ends a logged-in session past its idle or absolute limit; keeps its last-seen time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if auth.SESSION_KEY in session:
            now = int(clock())
            why = _ended(session, now)
            if why:
                return _timed_out(request, why)
            if now - session[SEEN_AT] >= settings.SW_SESSION_TOUCH_SECONDS and not _passive(request):
                session[SEEN_AT] = now
        return self.get_response(request)
