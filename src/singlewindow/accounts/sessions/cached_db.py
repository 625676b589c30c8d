"""SESSION_ENGINE for sessions in the database behind the shared cache (with REDIS_URL)."""
from django.contrib.sessions.backends import cached_db

from .stores import WellFormedKey


class SessionStore(WellFormedKey, cached_db.SessionStore):
    pass
