"""操作员管理: the legal person's account adds, disables and removes operators of its own enterprise only."""
import re

import pytest
from django.core.exceptions import PermissionDenied

from singlewindow.accounts import services
from singlewindow.accounts.models import User
from singlewindow.audit.models import AuditEvent

NEW = {"username": "cashier", "display_name": "吴伟", "mobile": "13800138009", "email": "",
       "password": "Ledger2025x", "password2": "Ledger2025x"}


def test_the_legal_person_adds_an_operator_who_can_log_in(people, login_as):
    boss = login_as("boss")
    response = boss.post("/account/operators/add/", NEW, follow=True)

    assert "已添加操作员 cashier" in response.content.decode()
    cashier = User.objects.get(username="cashier")
    assert (cashier.enterprise, cashier.is_enterprise_admin, cashier.mobile) == (people.ours, False, "13800138009")
    assert AuditEvent.objects.get(action="account.operator_add").actor == people.boss
    page = login_as("cashier", "Ledger2025x").get("/").content.decode()
    assert "汕尾市红海湾进出口贸易有限公司" in page and people.ours.uscc in page  # acts for our enterprise


def test_an_operator_cannot_manage_operators(people, login_as):
    clerk = login_as("clerk")
    page = clerk.get("/account/operators/")
    assert page.status_code == 403 and "只有本企业的管理员" in page.content.decode()
    assert clerk.post("/account/operators/add/", NEW).status_code == 403
    assert clerk.post(f"/account/operators/{people.boss.pk}/disable/").status_code == 403
    assert not User.objects.filter(username="cashier").exists()
    with pytest.raises(PermissionDenied):
        services.add_operator(people.clerk, **{k: v for k, v in NEW.items() if k != "password2"})
    assert "操作员管理" not in clerk.get("/account/").content.decode()


@pytest.mark.parametrize("action", ["disable", "remove", "enable", "unlock"])
def test_another_enterprises_legal_person_cannot_touch_our_operator(people, login_as, action):
    rival = login_as("rival")
    assert rival.post(f"/account/operators/{people.clerk.pk}/{action}/").status_code == 404
    people.clerk.refresh_from_db()
    assert people.clerk.is_active and people.clerk.removed_at is None
    assert "<td>clerk</td>" not in rival.get("/account/operators/").content.decode()
    with pytest.raises(User.DoesNotExist):
        services.set_operator_active(people.rival, people.clerk.pk, False)


def test_a_disabled_operator_is_logged_out_and_cannot_log_in_until_enabled(people, login_as):
    clerk = login_as("clerk")
    boss = login_as("boss")
    response = boss.post(f"/account/operators/{people.clerk.pk}/disable/", follow=True)
    assert "已停用操作员 clerk" in response.content.decode() and "已停用" in response.content.decode()

    assert clerk.get("/account/").status_code == 302  # its open session has ended
    assert clerk.post("/login/", {"username": "clerk", "password": "Demo@2020"}).status_code == 200

    boss.post(f"/account/operators/{people.clerk.pk}/enable/")
    assert login_as("clerk").get("/account/").status_code == 200
    assert list(AuditEvent.objects.filter(action__startswith="account.operator_").values_list("action", flat=True)) == [
        "account.operator_disable", "account.operator_enable"]


def test_removing_an_operator_asks_once_more_first(people, login_as):
    boss = login_as("boss")
    check = boss.post(f"/account/operators/{people.clerk.pk}/remove/")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", check.content.decode()))
    assert "删除后该账号不能再登录，也不能恢复" in text and "确认删除" in text and "clerk" in text
    people.clerk.refresh_from_db()
    assert people.clerk.is_active and people.clerk.removed_at is None  # nothing happened yet


def test_a_removed_operator_leaves_the_list_but_its_history_stays(people, login_as):
    boss = login_as("boss")
    boss.post(f"/account/operators/{people.clerk.pk}/remove/", {"checked": "1"})

    people.clerk.refresh_from_db()
    assert not people.clerk.is_active and people.clerk.removed_at is not None
    assert "<td>clerk</td>" not in boss.get("/account/operators/").content.decode()
    assert boss.post(f"/account/operators/{people.clerk.pk}/enable/").status_code == 404
    assert User.objects.filter(username__iexact="CLERK").exists()  # the name stays taken


def test_the_legal_person_cannot_disable_itself(people, login_as):
    boss = login_as("boss")
    response = boss.post(f"/account/operators/{people.boss.pk}/disable/", follow=True)
    assert "不能对企业管理员（法人账号）本身执行此操作。" in response.content.decode()
    people.boss.refresh_from_db()
    assert people.boss.is_active


@pytest.mark.parametrize(("field", "value", "message"), [
    ("username", "clerk", "用户名“clerk”已被使用，请换一个。"),
    ("display_name", "", "请填写姓名。"),
    ("mobile", "12345", "联系电话格式不正确"),
    ("password", "Ledger", "密码太短，至少需要8位。"),
])
def test_adding_an_operator_names_each_problem(people, login_as, field, value, message):
    data = {**NEW, field: value}
    if field == "password":
        data["password2"] = value
    response = login_as("boss").post("/account/operators/add/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not User.objects.filter(username="cashier").exists()


def test_operators_can_confirm_policies(world):
    """An operator acts for the enterprise in the core journey: 确认投保 works for the colleague."""
    from singlewindow.accounts.models import LoginMethod
    from singlewindow.policies import services as policies
    from singlewindow.policies.models import PolicyStatus

    assert not world.colleague.is_enterprise_admin and world.demo.is_enterprise_admin
    policy = policies.confirm(
        world.colleague, world.pending.pk, contact_name="黄静", contact_phone="13800138001",
        agreement_sha256=world.pending.scheme.agreement.sha256, login_method=LoginMethod.PASSWORD, ip="127.0.0.1",
    )
    assert policy.status == PolicyStatus.CONFIRMED
