"""Background jobs of the API (run by `manage.py db_worker`)."""
from django_tasks import task


@task()
def deliver_webhook(delivery_id):
    from .webhooks import deliver

    return deliver(delivery_id)
