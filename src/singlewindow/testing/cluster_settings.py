"""The production settings for a cluster started by testing/cluster.py, except that collectstatic leaves the
files uncompressed: whitenoise's gzip and brotli passes take over a minute here, the hashed names (what the
pages' links depend on) are the same."""
from singlewindow.settings import *
from singlewindow.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
