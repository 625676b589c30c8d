"""The cluster's production settings (singlewindow.testing.cluster_settings) for the rush, with the test suite's
MD5 password hasher: production's argon2 costs most of a second of CPU per login here, which would make the rush
a benchmark of argon2 alone (bench/rush.py reports that cost on its own; --rush-argon2 keeps argon2)."""
from singlewindow.testing import cluster_settings

globals().update({name: getattr(cluster_settings, name) for name in dir(cluster_settings) if name.isupper()})
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
