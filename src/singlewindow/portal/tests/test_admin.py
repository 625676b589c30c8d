"""Django admin: the project's own models, in Chinese, to look at only (changes go through the services)."""
import pytest
from django.contrib import admin

from singlewindow.audit.models import AuditEvent
from singlewindow.policies.models import Policy
from singlewindow.policies.tests.conftest import page_text


@pytest.fixture
def admin_client_(world, client):
    client.force_login(world.admin)
    return client


def test_the_admin_lists_the_projects_models_by_their_chinese_names(admin_client_):
    text = page_text(admin_client_.get("/admin/"))
    assert "单一窗口管理后台" in text or "管理后台" in text
    for name in ["保单", "投保方案", "投保确认", "企业", "电子口岸卡", "审计", "用户", "行政区划"]:
        assert name in text, name


def test_a_policy_can_be_looked_at_but_not_changed_or_deleted(world, admin_client_):
    policy = world.pending
    page = admin_client_.get(f"/admin/policies/policy/{policy.pk}/change/")
    assert page.status_code == 200 and policy.number in page.content.decode()
    assert "保存" not in page_text(page)
    before = Policy.objects.filter(pk=policy.pk).values_list("status", flat=True).get()
    assert admin_client_.post(f"/admin/policies/policy/{policy.pk}/change/", {"status": "effective"}).status_code == 403
    assert admin_client_.post(f"/admin/policies/policy/{policy.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client_.get("/admin/policies/policy/add/").status_code == 403
    assert Policy.objects.filter(pk=policy.pk).values_list("status", flat=True).get() == before


def test_no_project_model_is_writable_in_the_admin(db):
    ours = {model: model_admin for model, model_admin in admin.site._registry.items()
            if model.__module__.startswith("singlewindow.")}
    assert Policy in ours and AuditEvent in ours
    for model, model_admin in ours.items():
        assert not (model_admin.has_add_permission(None) or model_admin.has_change_permission(None)
                    or model_admin.has_delete_permission(None)), model


def test_secrets_are_not_shown(world, admin_client_):
    page = admin_client_.get(f"/admin/accounts/user/{world.demo.pk}/change/").content.decode()
    assert world.demo.password not in page and "argon2" not in page


@pytest.mark.parametrize("who", ["demo", "insurer", "bureau"])
def test_nobody_else_gets_into_the_admin(world, client, who):
    client.force_login(getattr(world, who))
    response = client.get("/admin/policies/policy/")
    assert response.status_code == 302 and "/admin/login/" in response.url
