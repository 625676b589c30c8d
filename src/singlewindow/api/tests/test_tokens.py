"""Organisation tokens: shown once and kept hashed, made and revoked by whom decision 0028 says, refused at once
when revoked or expired, acting through an account that nobody can log in with, every call audited."""
import datetime
import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from singlewindow.accounts.models import Role, User
from singlewindow.accounts.services import operators_of
from singlewindow.audit.models import AuditEvent
from singlewindow.claims.desk_forms import branch_colleagues
from singlewindow.policies.tests.conftest import page_text

from ..models import ApiToken
from .conftest import is_problem, token_for

TOMORROW_PLUS = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()


def make_on_page(client, **fields):
    return client.post("/api/tokens/", {"name": "核心业务系统", "access": "write", "expires_on": TOMORROW_PLUS, **fields})


def grant(user):
    user.user_permissions.add(Permission.objects.get(codename="manage_api_tokens"))
    return User.objects.get(pk=user.pk)  # permissions are cached on the instance


def test_the_secret_is_shown_once_and_only_its_sha256_is_kept(client, world, api):
    client.force_login(world.admin)
    response = make_on_page(client, role="insurer", insurer_branch=world.insurer.insurer_branch_id)
    assert response.status_code == 200
    text = page_text(response)
    secret = next(word for word in text.split() if word.startswith("swk_"))
    assert "离开本页后将无法再次查看" in text and response["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get()
    assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert secret not in str(list(AuditEvent.objects.filter(action="api_token.create").values()))
    listed = page_text(client.get("/api/tokens/"))
    assert secret not in listed and token.prefix in listed
    assert api.get("/me", secret).data["organisation"] == {
        "role": "insurer", "id": str(world.insurer.insurer_branch_id), "name": str(world.insurer.insurer_branch)}


def test_the_administrator_makes_a_bureau_or_enterprise_token_and_must_name_its_organisation(client, world):
    client.force_login(world.admin)
    assert make_on_page(client, role="bureau", region=world.county.region_id).status_code == 200
    assert ApiToken.objects.get().region_id == world.county.region_id
    refused = make_on_page(client, role="enterprise", uscc="91441500MA00000000")
    assert refused.status_code == 400 and "没有该统一社会信用代码的企业。" in page_text(refused)
    refused = make_on_page(client, role="insurer", expires_on="2000-01-01", insurer_branch=world.insurer.insurer_branch_id)
    assert refused.status_code == 400 and "有效期须在明天至" in page_text(refused)
    assert ApiToken.objects.count() == 1


def test_an_insurer_user_needs_the_permission_and_then_makes_its_own_branchs_only(client, world):
    client.force_login(world.insurer)
    assert client.get("/api/tokens/").status_code == 403
    insurer = grant(world.insurer)
    theirs = token_for(world.other_insurer.insurer_branch, Role.INSURER, by=world.admin)
    client.force_login(insurer)
    page = client.get("/api/tokens/")
    assert page.status_code == 200 and "机构类型" not in page_text(page) and theirs.prefix not in page_text(page)
    # an organisation posted anyway is ignored: the token is its own branch's
    make_on_page(client, role="insurer", insurer_branch=world.other_insurer.insurer_branch_id)
    made = ApiToken.objects.exclude(pk=theirs.pk).get()
    assert made.insurer_branch_id == world.insurer.insurer_branch_id and made.created_by == insurer
    assert client.post(f"/api/tokens/{theirs.pk}/revoke", {"checked": "1"}).status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


def test_a_bureau_user_with_the_permission_makes_its_regions_token(client, world):
    client.force_login(grant(world.county))
    make_on_page(client)
    assert ApiToken.objects.get().region_id == world.county.region_id


def test_the_enterprises_administrator_manages_its_tokens_and_an_operator_does_not(client, world):
    client.force_login(world.colleague)
    assert client.get("/api/tokens/").status_code == 403
    client.force_login(world.demo)
    make_on_page(client)
    assert ApiToken.objects.get().enterprise_id == world.demo.enterprise_id


@pytest.mark.parametrize("who", ["bureau", "insurer"])
def test_nobody_else_reaches_the_page(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/api/tokens/").status_code == 403
    client.logout()
    assert client.get("/api/tokens/").status_code == 302


def test_revoking_stops_the_token_at_once(client, world, api, keys):
    assert api.get("/me", keys.insurer).status_code == 200
    client.force_login(world.admin)
    check = client.get(f"/api/tokens/{keys.insurer.pk}/revoke")
    assert "撤销后使用该令牌的系统立即无法再调用接口" in page_text(check)
    assert ApiToken.objects.get(pk=keys.insurer.pk).revoked_at is None  # the check page changes nothing
    client.post(f"/api/tokens/{keys.insurer.pk}/revoke", {"checked": "1"})
    problem = is_problem(api.get("/me", keys.insurer), 401, "token_revoked")
    assert "已于" in problem["detail"] and "撤销" in problem["detail"]
    again = client.post(f"/api/tokens/{keys.insurer.pk}/revoke", {"checked": "1"}, follow=True)
    assert "已撤销，无需重复操作" in page_text(again)
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(keys.insurer.pk)).count() == 1


def test_an_expired_token_is_refused(api, keys):
    ApiToken.objects.filter(pk=keys.demo.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    is_problem(api.get("/policies", keys.demo), 401, "token_expired")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer swk_nothing", "Basic c3drX3g6eQ==", "Bearer 令牌"])
def test_a_missing_or_unknown_token_is_refused(api, keys, header):
    response = api.client.get("/api/v1/policies", headers={"Authorization": header} if header else {})
    is_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_tokens_account_cannot_log_in_and_is_in_no_list_of_people(client, world, keys):
    account = keys.insurer.user
    assert not account.is_active and not account.has_usable_password()
    assert not client.login(username=account.username, password="")
    assert account not in branch_colleagues(world.insurer)
    assert keys.demo.user not in operators_of(world.demo)


def test_every_call_is_audited_once_and_marks_the_token_used(api, keys):
    before = AuditEvent.objects.filter(action="api.call").count()
    api.get("/policies", keys.insurer, limit=2)
    is_problem(api.get("/policies/99999999", keys.insurer), 404)
    events = list(AuditEvent.objects.filter(action="api.call").order_by("id"))[before:]
    assert [(e.data["method"], e.data["path"], e.data["status"]) for e in events] == [
        ("GET", "/api/v1/policies", 200), ("GET", "/api/v1/policies/99999999", 404)]
    assert {e.actor_id for e in events} == {keys.insurer.user_id}
    assert ApiToken.objects.get(pk=keys.insurer.pk).last_used_at is not None


def test_a_read_only_token_reads_and_changes_nothing(api, world):
    token = token_for(world.insurer.insurer_branch, Role.INSURER, by=world.admin, access="read")
    assert api.get("/policies", token).status_code == 200
    is_problem(api.post(f"/policies/{world.pending.pk}/cancel", token, {"reason": "测试"}), 403, "read_only")
