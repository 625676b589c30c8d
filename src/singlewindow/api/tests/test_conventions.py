"""The conventions: cursor pagination, Idempotency-Key (replay, 422, 409), rate limits, problem+json for every
error, validation naming the field, no 500 on odd input."""
import json
import uuid
from unittest import mock

import pytest

from singlewindow.audit.models import AuditEvent
from singlewindow.policies import services
from singlewindow.policies.models import Policy, PolicyStatus

from ..models import IdempotentRequest
from .conftest import is_problem

# --- pagination ----------------------------------------------------------------------------------------------


def test_a_walk_over_pages_sees_every_policy_once(api, keys, world):
    expected = set(Policy.objects.visible_to(world.insurer).values_list("pk", flat=True))
    assert len(expected) > 7
    seen, after, pages = [], None, 0
    while True:
        response = api.get("/policies", keys.insurer, limit=3, **({"after": after} if after else {}))
        page = response.data
        assert len(page["data"]) <= 3
        seen += [row["id"] for row in page["data"]]
        pages += 1
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        after = page["next_cursor"]
    assert pages >= 3 and len(seen) == len(set(seen)) and set(seen) == expected
    assert seen == sorted(seen, reverse=True)


def test_a_new_policy_during_a_walk_neither_repeats_nor_hides_a_row(api, keys, world):
    first = api.get("/policies", keys.insurer, limit=2).data
    services.cancel(world.insurer, world.pending.pk, reason="企业已注销")  # a change meanwhile moves no row
    rest = api.get("/policies", keys.insurer, limit=100, after=first["next_cursor"]).data
    ids = [row["id"] for row in first["data"]] + [row["id"] for row in rest["data"]]
    assert len(ids) == len(set(ids)) == Policy.objects.visible_to(world.insurer).count()


@pytest.mark.parametrize("after", ["abc", "W10:x:y", "\u00e9" * 10])
def test_a_forged_cursor_is_refused_naming_after(api, keys, after):
    problem = is_problem(api.get("/policies", keys.insurer, after=after), 400, "invalid_cursor")
    assert problem["errors"][0]["field"] == "after"


def test_a_cursor_of_another_list_is_refused(api, keys):
    cursor = api.get("/alerts", keys.insurer, limit=1).data["next_cursor"] or ""
    from ..pagination import cursor as make

    is_problem(api.get("/policies", keys.insurer, after=cursor or make("alerts", 5)), 400, "invalid_cursor")


@pytest.mark.parametrize("limit", ["0", "101", "x"])
def test_limit_is_checked(api, keys, limit):
    problem = is_problem(api.get("/policies", keys.insurer, limit=limit), 422, "validation")
    assert problem["errors"][0]["field"] == "limit"


# --- Idempotency-Key -----------------------------------------------------------------------------------------

def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing_again(api, keys, world):
    key = str(uuid.uuid4())
    first = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    assert first.status_code == 200 and first.data["status"] == "cancelled"
    again = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    assert again.status_code == 200 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert AuditEvent.objects.filter(action="policy.cancel", object_id=str(world.pending.pk)).count() == 1
    # the same JSON written otherwise is the same request
    spaced = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer,
                      raw=json.dumps({"reason": "企业已注销"}, indent=4), key=key)
    assert spaced["Idempotent-Replayed"] == "true"


def test_a_refusal_is_replayed_too(api, keys, world):
    key = str(uuid.uuid4())
    first = api.post(f"/policies/{world.pending.pk}/approve", keys.insurer, key=key)
    is_problem(first, 409, "state")
    assert api.post(f"/policies/{world.pending.pk}/approve", keys.insurer, key=key).content == first.content


def test_the_same_key_with_another_body_is_422(api, keys, world):
    key = str(uuid.uuid4())
    api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    problem = is_problem(api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "另一个原因"},
                                  key=key), 422, "idempotency_key_reused")
    assert problem["errors"] == [{"field": "Idempotency-Key", "message": "已用于另一请求。"}]
    is_problem(api.post(f"/policies/{world.returned.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key),
               422, "idempotency_key_reused")


def test_a_retry_while_the_first_is_still_running_is_409(api, keys, world):
    key = str(uuid.uuid4())
    seen = {}
    real_cancel = services.cancel

    def slow_cancel(*args, **kwargs):  # the client's retry arrives while the first request is being served
        seen["retry"] = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"},
                                 key=key)
        return real_cancel(*args, **kwargs)

    with mock.patch.object(services, "cancel", slow_cancel):
        first = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    assert first.status_code == 200
    problem = is_problem(seen["retry"], 409, "idempotency_in_flight")
    assert seen["retry"]["Retry-After"] == "1" and "仍在处理中" in problem["detail"]
    assert api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"},
                    key=key)["Idempotent-Replayed"] == "true"


def test_keys_belong_to_their_token(api, keys, world, guangzhou_policy):
    key = str(uuid.uuid4())
    api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    theirs = api.post(f"/policies/{guangzhou_policy.pk}/cancel", keys.other_insurer, {"reason": "企业已注销"}, key=key)
    assert theirs.status_code == 200 and "Idempotent-Replayed" not in theirs


def test_a_server_error_keeps_no_answer_so_the_retry_runs(api, keys, world):
    key = str(uuid.uuid4())
    with mock.patch.object(services, "cancel", side_effect=RuntimeError("boom")):
        is_problem(api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key),
                   500, "server_error")
    assert not IdempotentRequest.objects.filter(key=key).exists()
    retry = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry


@pytest.mark.parametrize("key, code", [(None, "idempotency_key_missing"), ("", "idempotency_key_invalid"),
                                       ("密钥", "idempotency_key_invalid"), ("a b", "idempotency_key_invalid"),
                                       ("x" * 256, "idempotency_key_invalid")])
def test_a_post_needs_a_well_formed_key(api, keys, world, key, code):
    problem = is_problem(api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "测试"}, key=key),
                         400, code)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.PENDING


def test_an_old_key_is_forgotten_after_24_hours(api, keys, world):
    key = str(uuid.uuid4())
    api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    row = IdempotentRequest.objects.get(key=key)
    assert (row.expires_at - row.created_at).total_seconds() == 24 * 3600
    IdempotentRequest.objects.filter(pk=row.pk).update(expires_at=row.created_at)
    again = api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, {"reason": "企业已注销"}, key=key)
    assert "Idempotent-Replayed" not in again and again.data["code"] == "already"


# --- rate limits -----------------------------------------------------------------------------------------------

def test_past_its_allowance_a_token_gets_429_with_retry_after(api, keys, settings):
    settings.SW_API_RATE_LIMIT = "3/60"
    for _ in range(3):
        assert api.get("/me", keys.insurer).status_code == 200
    response = api.get("/me", keys.insurer)
    problem = is_problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60 and "请求过于频繁" in problem["detail"]
    assert api.get("/me", keys.other_insurer).status_code == 200  # per token


# --- problems --------------------------------------------------------------------------------------------------

def test_an_unknown_address_is_a_problem_too(api, keys):
    is_problem(api.get("/nothing/here", keys.insurer), 404, "not_found")
    assert is_problem(api.get("/policies/abc", keys.insurer), 422, "validation")["errors"] == [
        {"field": "policy_id", "message": "应为整数。"}]


def test_a_method_the_path_does_not_take_is_405(api, keys, world):
    response = api.client.delete(f"/api/v1/policies/{world.pending.pk}",
                                 headers={"Authorization": f"Bearer {keys.insurer.secret}"})
    is_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_the_message_is_chinese_whatever_the_browser_asks(api, keys, world):
    response = api.client.post(f"/api/v1/policies/{world.pending.pk}/cancel", "{}", content_type="application/json",
                               headers={"Authorization": f"Bearer {keys.insurer.secret}", "Idempotency-Key": "k1",
                                        "Accept-Language": "en"})
    problem = is_problem(response, 422, "validation")
    assert problem["errors"] == [{"field": "reason", "message": "缺少此项。"}]


@pytest.mark.parametrize("raw, field", [
    ('{"reason": "a\\u0000b"}', "reason"), ('{"reason": "\\ud800"}', "reason"), ('{"reason": 5}', "reason"),
    ('{"reason": "' + "长" * 501 + '"}', "reason"), ("[1, 2]", None), ('{"reason": "<script>"}', "reason"),
])
def test_odd_bodies_are_refused_naming_the_field(api, keys, world, raw, field):
    problem = is_problem(api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, raw=raw), 422)
    if field:
        assert field in {error["field"] for error in problem["errors"]}
    assert Policy.objects.get(pk=world.pending.pk).status == PolicyStatus.PENDING


@pytest.mark.parametrize("raw", ["{", "\xff\xfe"])
def test_a_body_that_is_not_json_is_400(api, keys, world, raw):
    is_problem(api.post(f"/policies/{world.pending.pk}/cancel", keys.insurer, raw=raw), 400, "bad_request")


@pytest.mark.parametrize("pk", ["9223372036854775807", "9223372036854775808", "99999999999999999999999"])
def test_huge_ids_are_not_found_or_refused_never_a_500(api, keys, pk):
    response = api.get(f"/policies/{pk}", keys.insurer)
    assert response.status_code in (404, 422) and response["Content-Type"] == "application/problem+json"


def test_the_problem_types_are_described(client):
    response = client.get("/api/problems/idempotency_key_reused")
    assert response.json() == {"type": "/api/problems/idempotency_key_reused", "code": "idempotency_key_reused",
                               "status": 422, "title": "Idempotency-Key 已用于另一请求"}
    assert client.get("/api/problems/nonsense").status_code == 404
