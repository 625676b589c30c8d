"""SESSION_ENGINE for sessions in the database (the default)."""
from django.contrib.sessions.backends import db

from .stores import WellFormedKey


class SessionStore(WellFormedKey, db.SessionStore):
    pass
