"""Session stores that take only a session key they could have made: Django's own keys are lowercase
letters and digits, and a cookie with anything else (a NUL, which PostgreSQL refuses in a query) is
treated as no session at all instead of reaching the database."""
from django.contrib.sessions.backends.base import VALID_KEY_CHARS

_ALLOWED = frozenset(VALID_KEY_CHARS)


class WellFormedKey:
    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and isinstance(key, str) and set(key) <= _ALLOWED
