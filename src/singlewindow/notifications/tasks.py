"""Background jobs of the notifications app (run by `manage.py db_worker`)."""
from django_tasks import task


@task()
def deliver_message(message_id):
    from .outbox import deliver

    return deliver(message_id)
