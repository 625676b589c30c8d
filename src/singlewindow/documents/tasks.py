"""Background jobs of the documents app (run by `manage.py db_worker`)."""
from django_tasks import task


@task()
def generate_documents(policy_id):
    """The policy's 电子保单 and 确认回执, made where missing or changed (services.generate_for)."""
    from .services import generate_for

    return generate_for(policy_id)
