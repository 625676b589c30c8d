"""An effective policy and its documents. Making a PDF costs a tenth of a second or more: the PDF's own tests share
one made once per module (in a transaction rolled back afterwards), the others make one each, at most."""
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction

from singlewindow.documents import services, storage
from singlewindow.policies import services as policies
from singlewindow.policies.models import Policy
from singlewindow.policies.tests.conftest import client_for, confirm_as  # noqa: F401 (fixtures the tests use)


def make_effective(world):
    """demo's 待确认 policy of this year's scheme, confirmed by demo and approved by the insurer (no PDF yet)."""
    confirm_as(world.demo, world.pending)
    policies.approve(world.insurer, world.pending.pk, ip="127.0.0.1")
    return Policy.objects.select_related("enterprise", "scheme").get(pk=world.pending.pk)


@pytest.fixture
def effective(world):
    return make_effective(world)


@pytest.fixture
def documented(effective):
    """The effective policy with its 电子保单 (version 1), made by the service the job calls."""
    document, made = services.ensure_policy_document(effective.pk)
    assert made and document.version == 1
    return SimpleNamespace(policy=effective, document=document, pdf=storage.path_of(document.stored_name).read_bytes())


def _root_conftest(config):
    """The project's own conftest.py, as pytest loaded it (`import conftest` may find cardagent's instead)."""
    root = (config.rootpath / "conftest.py").resolve()
    return next(plugin for plugin in config.pluginmanager.get_plugins()
                if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root)


@pytest.fixture(scope="module")
def issued(request, django_db_setup, django_db_blocker):
    """One signed 电子保单 as bytes, with what it should state; its rows are rolled back, the file stays."""
    shared = _root_conftest(request.config)

    with django_db_blocker.unblock(), transaction.atomic():
        world = shared.find_world() or shared.build_world()
        policy = make_effective(world)
        document, _made = services.ensure_policy_document(policy.pk)
        issued = SimpleNamespace(
            pdf=storage.path_of(document.stored_name).read_bytes(), number=policy.number, code=document.code,
            insured=policy.enterprise.name, uscc=policy.enterprise.uscc, sha256=document.sha256,
            signer_sha256=document.signer_sha256,
        )
        transaction.set_rollback(True)
    return issued
