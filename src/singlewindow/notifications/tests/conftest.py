"""The policy fixtures the notification tests share (defined in policies/tests/conftest.py)."""
from singlewindow.policies.tests.conftest import bound_demo, client_for, confirmed  # noqa: F401 (fixtures)
