"""The portal shell over HTTP: home, login/logout, 常见问题, language, 统计分析, and no external hosts."""
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from pytest_django.asserts import assertContains, assertRedirects

from singlewindow.bureaus.figures import default_scheme
from singlewindow.policies.models import Policy
from singlewindow.policies.tests.conftest import page_text

LOGIN_LINKS = {"/control/": "客户端控件下载", "/register/": "立即注册", "/forgot-password/": "忘记密码",
               "/forgot-username/": "忘记用户名"}


def log_in(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def test_the_home_page_explains_the_service_and_how_to_start(db, client):
    text = page_text(client.get("/"))
    assert "小微企业出口信用保险在线申领" in text and "地方特色应用" in text and "95198" in text


def test_the_login_page_offers_the_card_and_the_password_with_the_account_help_links(db, client):
    response = client.get("/login/")
    assertContains(response, 'id="tab-card"')
    assertContains(response, 'id="tab-password"')
    text = page_text(response)
    assert "卡介质" in text and "账号密码" in text
    for href, label in LOGIN_LINKS.items():
        assertContains(response, f'<a href="{href}">{label}</a>', html=True)
        assert client.get(href).status_code == 200, href


@pytest.mark.parametrize("username, password, message", [
    ("demo", "demo@2020", "用户名或密码不正确。请注意区分大小写；如忘记，可使用“忘记用户名”或“忘记密码”找回。"),
    ("nobody", "Demo@2020", "用户名或密码不正确。"),
    ("", "", "这个字段是必填项。"),
])
def test_a_failed_login_says_why_in_chinese_and_logs_nobody_in(world, client, username, password, message):
    response = log_in(client, username, password)
    assertContains(response, message, status_code=response.status_code)
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session
    assert client.get("/insure/").status_code == 302


@pytest.mark.parametrize("username, password, landing", [
    ("insurer", "Insurer@2020", "/insurer/"), ("bureau", "Bureau@2020", "/bureau/"),
    ("county", "County@2020", "/bureau/"), ("demo", "Demo@2020", "/"), ("admin", "Admin@2020", "/staff/"),
])
def test_login_takes_each_party_to_its_own_start_page(world, client, username, password, landing):
    assertRedirects(log_in(client, username, password), landing, fetch_redirect_response=False)
    assert client.get(landing).status_code == 200


def test_login_honours_next_on_this_site_only(world, client):
    assertRedirects(log_in(client, "insurer", "Insurer@2020", next="/insurer/issue/"), "/insurer/issue/",
                    fetch_redirect_response=False)
    client.post("/logout/")
    assertRedirects(log_in(client, "insurer", "Insurer@2020", next="https://evil.example/"), "/insurer/",
                    fetch_redirect_response=False)


def test_logout_is_a_post_that_ends_the_session(world, client):
    client.force_login(world.insurer)
    assert client.get("/logout/").status_code == 405
    assert client.get("/insurer/").status_code == 200
    assertRedirects(client.post("/logout/"), "/", fetch_redirect_response=False)
    assert client.get("/insurer/").status_code == 302


def test_the_faq_covers_the_questions_of_the_notice(db, client):
    text = page_text(client.get("/help/"))
    for point in ["组织机构代码已存在", "忘记用户名", "卡介质", "法人卡", "客户端控件", "Chrome", "卡密码", "95198",
                  "多家公司", "被保险企业", "统一社会信用代码"]:
        assert point in text, point


def test_switching_to_english_sets_the_language_cookie_and_the_page_language(db, client):
    assert '<html lang="zh-hans">' in client.get("/help/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    assertRedirects(response, "/help/", fetch_redirect_response=False)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/help/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/help/"})
    assert '<html lang="zh-hans">' in client.get("/help/").content.decode()


def stats_rows(response):
    """{county code: policies issued} from the 统计分析 table."""
    html = response.content.decode()
    rows = re.findall(r'<th scope="row">(\S+) <span class="text-muted small">(\d{6})</span></th>(.*?)</tr>', html,
                      re.DOTALL)
    return {code: int(re.search(r'<td class="text-end" data-col="issued">(\d+)</td>', cells)[1])
            for _name, code, cells in rows}


def test_the_city_bureau_sees_every_county_of_汕尾(world, client):
    client.force_login(world.bureau)
    expected = {}  # the dashboard opens on the newest scheme
    for code in Policy.objects.filter(scheme=default_scheme(world.bureau)).values_list("enterprise__region", flat=True):
        expected[code] = expected.get(code, 0) + 1
    assert stats_rows(client.get("/bureau/")) == expected
    assert set(expected) == {"441502", "441521", "441523", "441581"}


def test_a_county_bureau_sees_only_its_own_county(world, client):
    client.force_login(world.county)
    response = client.get("/bureau/")
    shown = Policy.objects.filter(enterprise__region="441521", scheme=default_scheme(world.county))
    assert stats_rows(response) == {"441521": shown.count()}
    assertContains(response, "海丰县")
    for other in ["城区", "陆河县", "陆丰市"]:
        assert other not in page_text(response).split("统计分析", 2)[-1], other


@pytest.mark.parametrize("who", ["demo", "insurer"])
def test_statistics_are_for_bureaus_only(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get("/bureau/").status_code == 403


# --- no page loads anything from another host ----------------------------------------

LINK = re.compile(r"""(?:\bsrc|\bhref|\baction|\bsrcset|\bformaction|\bhx-get|\bhx-post)\s*=\s*["']\s*([^"']+)""",
                  re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*["']?\s*((?:https?:)?//[^)"']+)""", re.IGNORECASE)
SKIP = ("/logout/", "/static/", "/i18n/", "/admin/")


def external_references(html):
    refs = [v for v in LINK.findall(html) if re.match(r"(?:https?:)?//", v, re.IGNORECASE)] + CSS_URL.findall(html)
    return [ref for ref in refs if urlsplit(ref if "//" in ref[:8] else "//" + ref).hostname != "testserver"]


def crawl(client, start="/", limit=80):
    """Every page reachable by links from `start` (GET only): {path: (status, html)}."""
    seen, queue, pages = {start}, deque([start]), {}
    while queue and len(pages) < limit:
        path = queue.popleft()
        response = client.get(path)
        html = response.content.decode() if response["Content-Type"].startswith("text/html") else ""
        pages[path] = (response.status_code, html)
        for ref in LINK.findall(html):
            target = urljoin(path, ref.strip())
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen and not parts.path.endswith((".whl", ".zip")):
                seen.add(target)
                queue.append(target)
    return pages


@pytest.mark.parametrize("who", [None, "bound_demo", "insurer", "bureau", "county", "admin"])
def test_no_page_references_another_host(world, client, request, who):
    if who:
        client.force_login(request.getfixturevalue(who) if who == "bound_demo" else getattr(world, who))
    pages = crawl(client)
    assert len(pages) >= 5
    for start in ["/login/", "/help/", "/features/", "/notices/popup/", "/local/bind/"]:
        pages.setdefault(start, (None, client.get(start).content.decode()))
    problems = {path: refs for path, (_s, html) in pages.items() if (refs := external_references(html))}
    assert problems == {}
    assert [path for path, (status, _html) in pages.items() if status and status >= 500] == []
