"""Drop the prefix ("_like") index PostgreSQL gets beside the unique `hash` (docs/decisions/0008-fewer-indexes.md).

Django adds a varchar_pattern_ops index next to each unique CharField for LIKE 'x%' queries. Nobody looks
an event up by a prefix of its hash, and batch issuance writes one event per policy, so it is only cost.
"""
from django.db import migrations

from singlewindow.migrations_postgres import drop_index


class Migration(migrations.Migration):

    dependencies = [("audit", "0001_initial")]

    operations = [drop_index("audit_auditevent", "hash", suffix="_like", opclass="varchar_pattern_ops")]
