"""Tokens of every kind of organisation in the test world, and a client that speaks the API."""
import datetime
import json
import uuid
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from singlewindow.accounts.models import Role
from singlewindow.api import tokens
from singlewindow.claims.tests.conftest import insured  # noqa: F401 (a fixture the tests use)
from singlewindow.policies.tests.conftest import (  # noqa: F401 (fixtures the tests use)
    bound_demo,
    client_for,
    confirmed,
    guangzhou_policy,
)

NEXT_MONTH = datetime.timedelta(days=30)


def token_for(user_or_org, role, *, by, name="核心业务系统", access="write", days=30):
    token, secret = tokens.create(by, role=role, organisation=user_or_org, name=name, access=access,
                                  expires_on=timezone.localdate() + datetime.timedelta(days=days))
    token.secret = secret
    return token


@pytest.fixture
def keys(world):
    """A live token of each organisation: 粤东 and 广州 branches, 汕尾市 and 海丰县 bureaus, demo's and demo2's enterprises."""
    admin = world.admin
    return SimpleNamespace(
        insurer=token_for(world.insurer.insurer_branch, Role.INSURER, by=admin),
        other_insurer=token_for(world.other_insurer.insurer_branch, Role.INSURER, by=admin),
        bureau=token_for(world.bureau.region, Role.BUREAU, by=admin),
        county=token_for(world.county.region, Role.BUREAU, by=admin),
        demo=token_for(world.demo.enterprise, Role.ENTERPRISE, by=admin),
        demo2=token_for(world.demo2.enterprise, Role.ENTERPRISE, by=admin),
    )


class Api:
    """The API as a client program sees it: JSON in, the answer and its parsed body out."""

    def __init__(self):
        self.client = Client()

    def _headers(self, token, key=None, extra=None):
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {getattr(token, 'secret', token)}"
        if key is not None:
            headers["Idempotency-Key"] = key
        headers.update(extra or {})
        return headers

    def get(self, path, token, **params):
        response = self.client.get(f"/api/v1{path}", params, headers=self._headers(token))
        response.data = _parsed(response)
        return response

    def post(self, path, token, body=None, *, key="new", headers=None, raw=None):
        key = uuid.uuid4().hex if key == "new" else key
        content = raw if raw is not None else json.dumps(body if body is not None else {})
        response = self.client.post(f"/api/v1{path}", content, content_type="application/json",
                                    headers=self._headers(token, key, headers))
        response.data = _parsed(response)
        return response

    def upload(self, path, token, name, content, *, key="new"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        key = uuid.uuid4().hex if key == "new" else key
        response = self.client.post(f"/api/v1{path}", {"file": SimpleUploadedFile(name, content)},
                                    headers=self._headers(token, key))
        response.data = _parsed(response)
        return response


def _parsed(response):
    kind = response.get("Content-Type", "")
    if "json" in kind and not response.streaming:
        return json.loads(response.content)
    return None


@pytest.fixture
def api(db):
    return Api()


def is_problem(response, status, code=None):
    """The answer is RFC 9457 problem details of `status` (and `code`), with the Chinese message."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    problem = getattr(response, "data", None) or json.loads(response.content)
    assert {"type", "title", "status", "code", "detail"} <= set(problem)
    assert problem["status"] == status
    assert problem["type"] == f"/api/problems/{problem['code']}"
    assert problem["detail"] and problem["title"]
    if code:
        assert problem["code"] == code, problem
    return problem
