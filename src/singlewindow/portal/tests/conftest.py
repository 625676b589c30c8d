"""The policy fixtures the portal tests share (defined in policies/tests/conftest.py)."""
from singlewindow.policies.tests.conftest import bound_demo, confirmed  # noqa: F401 (fixtures)
