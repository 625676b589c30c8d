"""The OpenAPI document and its docs page, and schemathesis over every operation (bounded: a few examples each,
for three kinds of token): no 5xx, every answer as the document says (status, content type, body, headers)."""
import json
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def test_the_openapi_document_is_served_and_loads(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    def no_repeats(pairs):
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), keys  # Swagger UI refuses a document with a key twice
        return dict(pairs)

    document = json.loads(response.content, object_pairs_hook=no_repeats)
    assert document["openapi"].startswith("3.1") and document["info"]["title"] == "单一窗口开放接口"
    operations = [(path, method, op) for path, methods in document["paths"].items() for method, op in methods.items()]
    assert len(operations) >= 25
    assert document == _document()
    loaded = list(schemathesis.openapi.from_dict(document).get_all_operations())
    assert len(loaded) == len(operations) and all(type(result).__name__ == "Ok" for result in loaded)
    for path, method, operation in operations:
        assert operation["responses"]["401"]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}, (path, method)
        assert operation["security"] == [{"TokenAuth": []}]
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert ("Idempotency-Key" in headers) == (method == "post"), (path, method)


def test_the_docs_page_loads_nothing_from_another_host(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources and "/static/ninja/swagger-ui.css" in sources
    assert all(source.startswith("/") and not source.startswith("//") for source in sources), sources
    assert not re.search(r"https?://|//cdn|unpkg|jsdelivr", html.replace("http://www.w3.org", ""))
    settings_json = json.loads(re.search(r'<script type="application/json" id="swagger-settings">(.*?)</script>',
                                         html, re.DOTALL).group(1))
    assert settings_json["url"] == "/api/v1/openapi.json" and settings_json["validatorUrl"] is None
    for asset in ("/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui-init.js",
                  "/static/ninja/swagger-ui.css"):
        assert client.get(asset).status_code == 200, asset


def test_the_docs_page_runs_under_the_sites_content_security_policy(client):
    response = client.get("/api/v1/docs")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    html = response.content.decode()
    inline = [body for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
              if "src=" not in attributes and body.strip()]
    assert all("application/json" in attributes for attributes, body in re.findall(
        r"<script([^>]*)>(.*?)</script>", html, re.DOTALL) if "src=" not in attributes and body.strip()), inline


# --- schemathesis ----------------------------------------------------------------------------------------------

def _document():
    from singlewindow.api.v1 import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


# The document as the API builds it, sent to the WSGI application in-process (schemathesis' lazy fixture
# loader does not run under pytest 9, so the schema is loaded here, without a request).
# Its coverage phase (every boundary of every parameter, hundreds of requests per operation) is left out: the
# bounded fuzzing phase below is what runs in `make test`.
schema = schemathesis.openapi.from_dict(_document(), config=SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}))
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def in_the_tests_transaction():
    """Requests to the WSGI application run in the test's transaction, as the test client's do: the start and the
    end of a request must not close the test's connection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def run(case, keys, who, settings):
    settings.SW_API_RATE_LIMIT = "100000/60"
    case.call_and_validate(headers={"Authorization": f"Bearer {getattr(keys, who).secret}"}, checks=CHECKS)


def bounded(examples):
    """A few examples per operation, the same ones each run: `make test` stays short on both databases."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@schema.parametrize()
@bounded(10)
def test_every_operation_answers_an_insurer_as_documented(case, keys, settings):
    run(case, keys, "insurer", settings)


@schema.parametrize()
@bounded(4)
def test_every_operation_answers_a_bureau_as_documented(case, keys, settings):
    run(case, keys, "bureau", settings)


@schema.parametrize()
@bounded(4)
def test_every_operation_answers_an_enterprise_as_documented(case, keys, settings):
    run(case, keys, "demo", settings)
