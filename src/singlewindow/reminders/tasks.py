"""Background jobs of the reminders app (run by `manage.py db_worker`)."""
from django_tasks import task


@task()
def send_reminders(run_id):
    """A large reminder run, sent chunk by chunk (services.send_run); a failure leaves it resumable."""
    from .services import send_run

    return send_run(run_id)
