"""examples/api_client.py issues and approves through the API, as a program would, against the test server."""
import importlib.util
from pathlib import Path

from django.conf import settings

from singlewindow.policies.models import Policy, PolicyStatus

from .test_access import eligible_enterprise

EXAMPLE = Path(settings.BASE_DIR) / "examples" / "api_client.py"


def load_example():
    spec = importlib.util.spec_from_file_location("api_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def send_through_test_client(client):
    """The example's transport, through Django's test client instead of a socket."""

    def send(method, path, body, headers):
        response = client.generic(method, path, body or b"", content_type=headers.get("Content-Type", ""),
                                  headers={k: v for k, v in headers.items() if k != "Content-Type"})
        return response.status_code, dict(response.items()), response.content

    return send


def test_the_example_client_issues_and_approves_a_policy(client, keys, world):
    example = load_example()
    enterprise = eligible_enterprise(world.scheme)
    waiting = set(Policy.objects.visible_to(world.insurer).filter(status=PolicyStatus.CONFIRMED)
                  .values_list("pk", flat=True))
    assert waiting
    lines, pauses = [], []
    api = example.SingleWindow(send_through_test_client(client), keys.insurer.secret, sleep=pauses.append)
    issued, approved = example.run(api, uscc=enterprise.uscc, out=lines.append)
    assert Policy.objects.get(pk=issued["id"]).status == PolicyStatus.PENDING
    assert issued["enterprise"]["uscc"] == enterprise.uscc
    assert approved["id"] in waiting and Policy.objects.get(pk=approved["id"]).status == PolicyStatus.EFFECTIVE
    assert lines[1].startswith("已出单") and lines[2].startswith("已审批通过") and "含当日" in lines[2]
    # run again: the issue is refused with the pages' words; the next policy waiting is approved
    lines.clear()
    Policy.objects.filter(pk__in=waiting - {approved["id"]}).update(status=PolicyStatus.RETURNED)
    example.run(api, uscc=enterprise.uscc, out=lines.append)
    assert "不能重复出单" in lines[1] and lines[2] == "没有审批中的保单"


def test_the_example_waits_retry_after_on_429(client, keys, settings):
    settings.SW_API_RATE_LIMIT = "1/60"
    example = load_example()
    pauses = []
    api = example.SingleWindow(send_through_test_client(client), keys.insurer.secret, retries=2, sleep=pauses.append)
    api.call("GET", "/api/v1/me")
    try:
        api.call("GET", "/api/v1/me")
    except example.Problem as problem:
        assert problem.status == 429 and problem.code == "rate_limited"
    assert len(pauses) == 2 and all(1 <= p <= 60 for p in pauses)


def test_the_example_refuses_to_run_without_a_token(capsys, monkeypatch):
    monkeypatch.delenv("SW_API_TOKEN", raising=False)
    example = load_example()
    try:
        example.main(["--uscc", "x"])
    except SystemExit as exit_:
        assert exit_.code == 2
    assert "SW_API_TOKEN" in capsys.readouterr().err
