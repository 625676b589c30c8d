from singlewindow.claims.tests.conftest import insured  # noqa: F401 (a fixture: a policy to claim on)
from singlewindow.policies.tests.conftest import guangzhou_policy  # noqa: F401
