"""Production's settings for the load bench (bench/load.py), with the bare views' URLs and static files
named as they are (no collected manifest: the pages measured serve no static file)."""
from singlewindow import settings

globals().update({name: getattr(settings, name) for name in dir(settings) if name.isupper()})
ROOT_URLCONF = "bench_urls"
STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
