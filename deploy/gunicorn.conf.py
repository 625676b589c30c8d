# gunicorn settings for production: several sync workers per host; scale out by adding hosts
# behind nginx. All state lives in PostgreSQL and Redis, so any process can serve any request.
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60
graceful_timeout = 30
# Worker recycling is a guard against a slow leak, not a need: none is known, and each recycle costs the requests
# queued behind a booting worker. At 2,000 requests (the former setting) a worker was replaced every 1-2 s under
# load and its boot (importing Django and the project, ~1 s of CPU) set the p99 (issue 15: the bare view's p99
# 332-3,193 ms with it, 34-310 ms without). Now: after 100,000-110,000 requests (minutes at the busiest, days when
# quiet), the jitter keeping a host's workers from being replaced together; and preload_app imports the project
# once in the master, so a replacement is a fork (copy-on-write memory, no import) and starts warm. The master
# opens no database, cache or file connection while importing (a forked one would be shared by the workers), and
# new code is deployed by restarting the service (systemctl restart), as a preloaded master does not re-import.
max_requests = 100_000
max_requests_jitter = 10_000
preload_app = True
accesslog = "-"
# X-Forwarded-Proto (so the app knows the request came over HTTPS) is believed from the same hosts the app
# believes X-Forwarded-For from: the nginx hosts of TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", os.environ.get("TRUSTED_PROXIES", "127.0.0.1"))
wsgi_app = "singlewindow.wsgi:application"
