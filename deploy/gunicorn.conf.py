# gunicorn settings for production: several sync workers per host; scale out by adding hosts
# behind nginx. All state lives in PostgreSQL and Redis, so any process can serve any request.
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# X-Forwarded-Proto (so the app knows the request came over HTTPS) is believed from the same hosts the app
# believes X-Forwarded-For from: the nginx hosts of TRUSTED_PROXIES.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", os.environ.get("TRUSTED_PROXIES", "127.0.0.1"))
wsgi_app = "singlewindow.wsgi:application"
