"""老用户账号绑定 at /local/bind/: bind an existing local account, or 快速注册 one — over HTTP."""
import datetime as dt
import re
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects, assertTemplateUsed

from singlewindow.accounts import services
from singlewindow.accounts.models import LocalAccount, LocalBindFailure, Role, User
from singlewindow.machines import Refused

NEXT = "/insure/?status=pending"
REGISTER = {"username": "hongwan2026", "password": "Hongwan2026", "contact_name": "李锐",
            "contact_phone": "0660-3379016", "email": "lirui@example.com"}


def bind(client, username="swdemo", password="Local@2020", next=NEXT, ip="127.0.0.1"):
    return client.post("/local/bind/", {"mode": "bind", "bind-username": username, "bind-password": password,
                                        "next": next}, REMOTE_ADDR=ip)


def summary(response):
    """The messages at the top of the bind form, as a person reads them."""
    return re.findall(r"<li>([^<]*)</li>", response.content.decode())


def register(client, next=NEXT, **overrides):
    fields = {f"reg-{name}": value for name, value in {**REGISTER, **overrides}.items()}
    return client.post("/local/bind/", {"mode": "register", "next": next, **fields})


def local_account_of(user):
    user.refresh_from_db()
    return user.local_account


@pytest.fixture
def demo_client(client, world):
    client.force_login(world.demo)
    return client


def test_the_page_offers_binding_and_a_quick_registration_prefilled_from_the_enterprise(world, demo_client):
    response = demo_client.get("/local/bind/", {"next": NEXT})
    enterprise = world.demo.enterprise
    for shown in ["老用户账号绑定", "账号绑定", "快速注册", enterprise.name, enterprise.uscc]:
        assertContains(response, shown)
    html = response.content.decode()
    assert re.search(f'name="reg-contact_name"[^>]*value="{enterprise.legal_representative}"', html)
    assert re.search(f'name="reg-contact_phone"[^>]*value="{world.demo.mobile}"', html)
    assertContains(response, f'<input type="hidden" name="next" value="{escape(NEXT)}">', count=2)


def test_binding_the_enterprises_local_account_returns_to_the_page_asked_for(world, demo_client):
    assertRedirects(bind(demo_client), NEXT, fetch_redirect_response=False)
    assert local_account_of(world.demo).username == "swdemo"
    assertContains(demo_client.get(NEXT), world.pending.number)


def test_the_local_account_name_is_not_case_sensitive(world, demo_client):
    assertRedirects(bind(demo_client, username=" SWDemo "), NEXT, fetch_redirect_response=False)
    assert local_account_of(world.demo).username == "swdemo"


@pytest.mark.parametrize("username, password", [("swdemo", "local@2020"), ("swdemo", ""), ("nobody", "Local@2020")])
def test_wrong_credentials_are_refused_and_nothing_is_bound(world, demo_client, username, password):
    response = bind(demo_client, username, password)
    assert response.status_code == 400
    assertContains(response, "本地账号或密码不正确" if password else "这个字段是必填项。", status_code=400)
    assertContains(response, f'value="{username}"', status_code=400)
    assertNotContains(response, 'value="local@2020"', status_code=400)
    assert local_account_of(world.demo) is None


def test_another_enterprises_account_gets_the_same_answer_as_a_wrong_password(world, demo_client):
    other = LocalAccount(username="mldemo", enterprise=world.demo2.enterprise)
    other.set_password("Local2020x")
    other.save()
    answers = []
    for username, password in [("mldemo", "Local2020x"), ("mldemo", "Wrong2020x"), ("nobody", "Local2020x"),
                               ("swdemo", "Wrong2020x")]:
        LocalBindFailure.objects.all().delete()
        response = bind(demo_client, username, password)
        assert response.status_code == 400
        answers.append(summary(response))
    assert answers == [[f"本地账号或密码不正确（只能绑定 {world.demo.enterprise.name} 本企业的本地账号）。",
                        "还可尝试 4 次，之后将暂停账号绑定15分钟。"]] * 4
    assert local_account_of(world.demo) is None


def test_binding_locks_the_user_after_five_wrong_answers_from_any_address(world, demo_client):
    for n, left in enumerate((4, 3, 2, 1)):
        assertContains(bind(demo_client, "swdemo", "Wrong2020x", ip=f"203.0.113.{n}"),
                       f"还可尝试 {left} 次，之后将暂停账号绑定15分钟。", status_code=400)
    locked = "本地账号绑定失败次数过多，已暂停绑定，请15分钟后再试。"
    assertContains(bind(demo_client, "swdemo", "Wrong2020x"), locked, status_code=429)

    assertContains(bind(demo_client, ip="198.51.100.9"), locked, status_code=429)  # the right password too
    assert local_account_of(world.demo) is None
    LocalBindFailure.objects.update(at=timezone.now() - dt.timedelta(minutes=16))
    assertRedirects(bind(demo_client), NEXT, fetch_redirect_response=False)  # after the cool-off
    assert local_account_of(world.demo).username == "swdemo"


def test_binding_locks_an_address_after_twenty_wrong_answers_of_any_users(world, client):
    for n in range(5):
        guesser = User.objects.create_user(f"guesser{n}", role=Role.ENTERPRISE, enterprise=world.demo2.enterprise)
        client.force_login(guesser)
        for _ in range(4):
            bind(client, "swdemo", "Wrong2020x", ip="203.0.113.5")
    client.force_login(world.demo)
    assert bind(client, ip="203.0.113.5").status_code == 429
    assertRedirects(bind(client, ip="198.51.100.9"), NEXT, fetch_redirect_response=False)


def test_quick_registration_creates_a_local_account_of_the_enterprise_and_binds_it(world, demo_client):
    assertRedirects(register(demo_client), NEXT, fetch_redirect_response=False)
    account = local_account_of(world.demo)
    assert (account.username, account.enterprise, account.contact_phone) == (
        "hongwan2026", world.demo.enterprise, "0660-3379016")
    assert account.check_password("Hongwan2026")


RULES = [
    ("username", "1hongwan", "本地账号须为4至30位字母、数字或下划线，并以字母开头。"),
    ("username", "abc", "本地账号须为4至30位字母、数字或下划线，并以字母开头。"),
    ("username", "hong wan", "本地账号须为4至30位字母、数字或下划线，并以字母开头。"),
    ("username", "SWDEMO", "本地账号“SWDEMO”已被使用，请换一个。"),
    ("password", "hongwanpass", "密码至少8位，且须同时包含字母和数字。"),
    ("password", "20262026", "密码至少8位，且须同时包含字母和数字。"),
    ("password", "Hw2026", "密码至少8位，且须同时包含字母和数字。"),
    ("contact_phone", "3379016", "联系电话格式不正确：请填写11位手机号，或带区号的固定电话（如 0660-3379016）。"),
    ("contact_phone", "14000000000", "手机号码不是有效的中国大陆手机号。"),
]


def test_quick_registration_checks_its_rules_and_creates_nothing_on_error(world, demo_client):
    before = LocalAccount.objects.count()
    for field, typed, message in RULES:
        response = register(demo_client, **{field: typed})
        assertContains(response, f'<div class="invalid-feedback" id="id_reg-{field}_error">{escape(message)}</div>',
                       html=True, status_code=400)
        assertContains(response, f'<li><a href="#id_reg-{field}">', status_code=400)
        if field != "password":
            assertContains(response, f'value="{typed}"', status_code=400)
    assert LocalAccount.objects.count() == before
    assert local_account_of(world.demo) is None


def test_a_bound_user_is_not_bound_a_second_time(world, client, bound_demo):
    client.force_login(bound_demo)
    assertRedirects(client.get("/local/bind/", {"next": NEXT}), NEXT, fetch_redirect_response=False)
    before = LocalAccount.objects.count()
    assert register(client).status_code == 302
    assert bind(client, "swdemo", "Local@2020").status_code == 302
    assert LocalAccount.objects.count() == before
    assert local_account_of(world.demo).username == "swdemo"


def test_a_bind_another_tab_has_just_made_is_refused_on_the_same_page(world, demo_client):
    real = services.bind_existing

    def other_tab_first(user, **answer):
        real(User.objects.get(pk=user.pk), **answer)  # the other tab's request binds first
        return real(user, **answer)

    with pytest.raises(Refused) as refused:
        other_tab_first(User.objects.get(pk=world.demo.pk), username="swdemo", password="Local@2020")
    assert refused.value.code == "already"
    User.objects.filter(pk=world.demo.pk).update(local_account=None)
    with mock.patch.object(services, "bind_existing", other_tab_first):
        response = bind(demo_client)
    assertTemplateUsed(response, "accounts/bind.html")
    assert response.status_code == 400
    assert summary(response) == ["当前用户已绑定本地账号，无需重复绑定。"]
    assert local_account_of(world.demo).username == "swdemo"


ELSEWHERE = ["https://evil.example/insure/", "//evil.example/", "http://testserver.evil.example/",
             "javascript:alert(1)", "/\\evil.example/", "https:/evil.example/",
             "0000000A", "admin:index"]  # not paths: redirect() would take them for URL names


def test_it_never_sends_the_user_anywhere_but_a_page_of_this_site_after_binding(world, demo_client):
    assertRedirects(bind(demo_client, next=ELSEWHERE[0]), "/insure/", fetch_redirect_response=False)
    assert local_account_of(world.demo).username == "swdemo"
    for next in ELSEWHERE:  # a bound user visiting the page is sent on to `next` too
        assertRedirects(demo_client.get("/local/bind/", {"next": next}), "/insure/", fetch_redirect_response=False)


@pytest.mark.parametrize("who", ["insurer", "bureau", "admin"])
def test_only_enterprise_users_bind_local_accounts(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get("/local/bind/").status_code == 403
    assert bind(client).status_code == 403
    assert not LocalAccount.objects.get(username="swdemo").portal_users.exists()


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    assertRedirects(client.get("/local/bind/", {"next": NEXT}),
                    f"/login/?{urlencode({'next': '/local/bind/?' + urlencode({'next': NEXT})})}",
                    fetch_redirect_response=False)
    assert bind(client).status_code == 302
    assert local_account_of(world.demo) is None
