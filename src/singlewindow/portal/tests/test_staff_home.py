"""单一窗口管理: the administrator's home, lookups, and who is locked out — and nobody else's (issue 11 #11)."""
import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from pytest_django.asserts import assertRedirects

from singlewindow.accounts.models import Role, User
from singlewindow.policies.tests.conftest import page_text


@pytest.fixture
def staff(world, client):
    client.force_login(world.admin)
    return client


def test_the_administrator_lands_on_the_staff_home_after_login(world, client):
    response = client.post("/login/", {"username": "admin", "password": "Admin@2020"})
    assertRedirects(response, "/staff/", fetch_redirect_response=False)
    text = page_text(client.get("/staff/"))
    assert "单一窗口管理" in text and "查询企业或账号" in text
    for tool in ["账号解锁", "数据导入", "符合条件企业", "统计分析", "后台管理"]:
        assert tool in text


@pytest.mark.parametrize("term", ["name", "uscc", "lower-uscc"])
def test_an_enterprise_is_found_by_name_or_code(world, staff, term):
    enterprise = world.demo.enterprise
    q = {"name": enterprise.name[2:8], "uscc": enterprise.uscc, "lower-uscc": enterprise.uscc.lower()}[term]
    text = page_text(staff.get("/staff/", {"q": q}))
    assert f"{enterprise.name} {enterprise.uscc}" in text


@pytest.mark.parametrize("field", ["username", "display_name", "mobile"])
def test_an_account_is_found_by_username_name_or_mobile(world, staff, field):
    world.demo.mobile = "13729230657"
    world.demo.save()
    text = page_text(staff.get("/staff/", {"q": getattr(world.demo, field)}))
    assert f"{world.demo.username} {world.demo.display_name} 企业 {world.demo.enterprise.name} 正常" in text


def test_a_locked_account_shows_where_and_since_when(world, staff):
    AccessAttempt.objects.create(username="demo", ip_address="203.0.113.9", user_agent="x", path_info="/login/",
                                 failures_since_start=settings.AXES_FAILURE_LIMIT, attempt_time=timezone.now())
    text = page_text(staff.get("/staff/", {"q": "demo"}))
    assert "demo 李锐 企业 汕尾市红海湾进出口贸易有限公司 已锁定 锁定地址： 203.0.113.9 （最近一次输错" in text
    assert "1 个账号被锁定" in text


def test_a_lookup_that_finds_nothing_says_so_and_a_long_one_is_refused_by_name(world, staff):
    text = page_text(staff.get("/staff/", {"q": "不存在的企业名称"}))
    assert "没有符合条件的企业。" in text and "没有符合条件的账号。" in text
    response = staff.get("/staff/", {"q": "长" * 51})
    assert response.status_code == 200
    assert "查询企业或账号" in page_text(response) and "查询内容最多 50 个字。" in page_text(response)


@pytest.mark.parametrize("who", ["demo", "insurer", "bureau", "county"])
def test_no_other_party_may_open_the_staff_home(world, client, who):
    client.force_login(getattr(world, who))
    response = client.get("/staff/", {"q": "demo"})
    assert response.status_code == 403
    assert 'data-testid="staff-users"' not in response.content.decode()


def test_a_visitor_is_sent_to_log_in(db, client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_user_visible_to_gives_others_only_themselves(world):
    assert set(User.objects.visible_to(world.demo)) == {world.demo}
    assert User.objects.visible_to(world.admin).count() == User.objects.count()
    assert not User.objects.visible_to(User(role=Role.STAFF, is_active=False)).exists()
