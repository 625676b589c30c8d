"""The logged-in user from the shared cache instead of a query per request (docs/decisions/0039-cached-user.md).

A request of a logged-in session reads, in one cache round trip, the user's cached copy and the user's current
version: a random token replaced whenever the user's row changes (every save, QuerySet.update and delete of a
User, so a password, status, role, scope or card revocation: accounts.sessions.end_sessions). The copy is served
only when it was cached under the current token and the session's hash matches it; anything else goes through
Django's own get_user (a query, the session check, the fallback secrets) and caches what it loaded.

Why a token and not a delete: a request that read the row just before a change commits could put the old row
back after the delete. Its copy carries the token it saw before reading, and the change sets a new token both at
once (so the same transaction, a test's, sees it) and again after its commit (so a copy read in between is
never current). The cache must be shared by every app process (Redis in production, the file cache on one host).

One round trip, not two: a cookie (HINT_COOKIE) names the logged-in user's id, so the cached session engine
(accounts.sessions.cached_db) reads the session, the copy and the version together. The cookie is only a hint of
which keys to read: the copy is served only for the user the session itself names, under the checks above.
"""
import secrets
from functools import partial

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware
from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

# A version outlives the copies cached under it; when it is gone (expired, evicted) a new one makes every copy stale.
VERSION_SECONDS = 24 * 3600
HINT_COOKIE = "sw_user"


def _keys(user_id):
    return f"sw:user:{user_id}", f"sw:user-version:{user_id}"


def prefetch_keys(user_id):
    """What the session engine reads with the session: this user's copy and version."""
    return _keys(user_id)


def _new_token():
    return secrets.token_hex(8)


def _bump(user_ids):
    cache.set_many({_keys(user_id)[1]: _new_token() for user_id in user_ids}, VERSION_SECONDS)


def forget(*user_ids):
    """No cached copy of these users is served again: a new version now, and again after the commit."""
    if not user_ids or not settings.SW_USER_CACHE_SECONDS:
        return
    _bump(user_ids)  # a failure here fails the change: better than a revocation the cache does not see
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_bump, user_ids), robust=True)


def get_user(request):
    """The session's user: its cached copy when current, else Django's get_user (whose result is then cached)."""
    session, seconds = request.session, settings.SW_USER_CACHE_SECONDS
    user_id = session.get(auth.SESSION_KEY)
    if not seconds or user_id is None or session.get(auth.BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    copy_key, version_key = _keys(user_id)
    prefetched = getattr(session, "prefetched", None)
    if prefetched and prefetched[0] == str(user_id):
        copy, token = prefetched[1], prefetched[2]
    else:
        found = cache.get_many([copy_key, version_key])
        token, copy = found.get(version_key), found.get(copy_key)
    if token and copy and copy[0] == token and constant_time_compare(
            session.get(auth.HASH_SESSION_KEY) or "", copy[1].get_session_auth_hash()):
        return copy[1]
    if token is None:
        token = _new_token()
        if not cache.add(version_key, token, VERSION_SECONDS):
            token = None  # another request made one meanwhile: cache nothing this time
    user = auth.get_user(request)
    if token and user.is_authenticated and str(user.pk) == str(user_id):
        cache.set(copy_key, (token, user), seconds)  # pickled now, before the view touches it
    return user


def _request_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = get_user(request)
    return request._cached_user


class AuthenticationMiddleware(middleware.AuthenticationMiddleware):
    """Django's, with request.user from get_user above; keeps the hint cookie naming the logged-in user."""

    def process_request(self, request):
        super().process_request(request)
        hint = request.COOKIES.get(HINT_COOKIE, "")
        if hint.isascii() and hint.isdigit() and len(hint) < 20:
            request.session.user_hint = hint
        request.user = SimpleLazyObject(lambda: _request_user(request))

    def process_response(self, request, response):
        user = getattr(request, "user", None)
        untouched = isinstance(user, SimpleLazyObject) and not hasattr(request, "_cached_user")
        if user is None or (untouched and HINT_COOKIE not in request.COOKIES):
            return response  # nobody was looked up and there is no hint to keep
        user_id = str(user.pk) if user.is_authenticated else ""
        if user_id and request.COOKIES.get(HINT_COOKIE) != user_id:
            response.set_cookie(HINT_COOKIE, user_id, max_age=settings.SESSION_COOKIE_AGE,
                                path=settings.SESSION_COOKIE_PATH, domain=settings.SESSION_COOKIE_DOMAIN,
                                secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                                samesite=settings.SESSION_COOKIE_SAMESITE)
        elif not user_id and HINT_COOKIE in request.COOKIES:
            response.delete_cookie(HINT_COOKIE, path=settings.SESSION_COOKIE_PATH,
                                   domain=settings.SESSION_COOKIE_DOMAIN, samesite=settings.SESSION_COOKIE_SAMESITE)
        return response
