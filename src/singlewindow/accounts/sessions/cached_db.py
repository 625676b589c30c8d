"""SESSION_ENGINE for sessions in the database behind the shared cache (with REDIS_URL)."""
from django.conf import settings
from django.contrib.sessions.backends import cached_db

from .stores import WellFormedKey


class SessionStore(WellFormedKey, cached_db.SessionStore):
    # The user id named by the request's hint cookie (accounts.usercache.HINT_COOKIE), and what was read for it.
    user_hint = None
    prefetched = None

    def load(self):
        """With a hint, the session and that user's cached copy and version in one round trip: a logged-in request
        then reads the cache once. Without one, or when the session is not in the cache, Django's load."""
        if self.user_hint is None or settings.SESSION_CACHE_ALIAS != "default":
            return super().load()
        from singlewindow.accounts.usercache import prefetch_keys

        keys = prefetch_keys(self.user_hint)
        found = self._cache.get_many([self.cache_key, *keys])
        data = found.get(self.cache_key)
        if data is None:
            return super().load()
        self.prefetched = (self.user_hint, *(found.get(key) for key in keys))
        return data
