"""A job for the queue's own tests: it writes down each run (which job, which worker process), so a job run
twice by two workers shows as two lines, whatever the job's own guards would have done."""
import os

from django.conf import settings
from django_tasks import task

RUNS_FILE = "job-runs.log"


@task()
def note_run(token):
    line = f"{token} {os.getpid()}\n".encode()
    fd = os.open(settings.VAR_DIR / RUNS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)  # one write with O_APPEND: lines from two processes never interleave
    finally:
        os.close(fd)
    return token
