"""The menus (portal/menu.py): each party sees exactly its own entries, the pages behind another party's entries
refuse it, and the entry of the page shown (and only it) is marked aria-current="page"."""
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from singlewindow.portal.menu import ENTRIES

NAV = re.compile(r'<nav id="sw-main-nav".*?</nav>', re.DOTALL)
TOOLS = re.compile(r'<div id="sw-tools".*?<form action="/logout/"', re.DOTALL)
LINK = re.compile(r'<a (?:class="[^"]*" )?href="([^"]+)"([^>]*)>([^<]+)</a>')

PORTAL = ["首页", "地方特色应用"]
MENUS = {  # who: (main navigation, header tools)
    None: ([*PORTAL, "常见问题"], []),
    "demo": ([*PORTAL, "风险预警", "报损与索赔", "常见问题"], ["消息中心", "账户设置", "操作员管理", "接口令牌"]),  # the legal person's account
    "colleague": ([*PORTAL, "风险预警", "报损与索赔", "常见问题"], ["消息中心", "账户设置"]),  # an operator of the same enterprise
    "insurer": ([*PORTAL, "保单审批", "方案管理", "批量出单", "申领", "风险预警", "理赔审核", "申请拨付", "常见问题"], ["账户设置"]),
    "bureau": ([*PORTAL, "数据导入", "符合条件企业", "企业名单", "名单公示", "统计分析", "报损理赔统计", "提醒", "拨付审核", "补贴台账", "常见问题"], ["账户设置"]),
    "county": ([*PORTAL, "数据导入", "符合条件企业", "企业名单", "名单公示", "统计分析", "报损理赔统计", "提醒", "拨付审核", "补贴台账", "常见问题"], ["账户设置"]),
    "admin": (["首页", "单一窗口管理", "地方特色应用", "数据导入", "符合条件企业", "企业名单", "名单公示", "方案管理", "统计分析", "报损理赔统计", "常见问题"], ["账户设置", "账号解锁", "接口令牌"]),
}
# Pages a party may open although its menu does not lead there: the insurer's 批量出单 links 查看名单.
# The insurer's 理赔审核 links its own 报损理赔统计.
REACHABLE_OFF_MENU = {("insurer", "enterprises:eligible"), ("insurer", "claims:figures"),
                      ("insurer", "subsidies:ledger"),  # 申请拨付 links 补贴台账
                      # 名单公示 is public to the enterprises it concerns and to the scheme's insurer
                      ("demo", "enterprises:publications"), ("colleague", "enterprises:publications"),
                      ("insurer", "enterprises:publications")}


def labels(who):
    nav, tools = MENUS[who]
    return {*nav, *tools}


def links(html, pattern):
    found = pattern.search(html)
    return [(href, attrs, label.strip()) for href, attrs, label in LINK.findall(found.group(0))] if found else []


def menus(client, path="/help/"):
    html = client.get(path).content.decode()
    return links(html, NAV), links(html, TOOLS)


def log_in(client, world, who):
    if who:
        client.force_login(getattr(world, who))


@pytest.mark.parametrize("who", list(MENUS))
def test_each_party_sees_exactly_its_own_menu_entries(world, client, who):
    log_in(client, world, who)
    nav, tools = menus(client)
    assert ([label for _href, _attrs, label in nav], [label for _href, _attrs, label in tools]) == MENUS[who]
    shown = {href for href, _attrs, _label in nav + tools}
    user = getattr(world, who) if who else AnonymousUser()  # two roles' entries may share a label (风险预警)
    assert shown == {reverse(entry.url_name) for entry in ENTRIES
                     if str(entry.label) in labels(who) and entry.shown_to(user)}


@pytest.mark.parametrize("who", list(MENUS))
def test_the_pages_behind_another_partys_entries_refuse_this_one(world, client, who):
    """What each view itself refuses is tested with the view: policies/tests/test_insurer_views.py
    (test_it_refuses_everyone_but_insurers), test_schemes.py, test_batch_issuance.py,
    enterprises/tests/test_import_views.py (test_enterprises_and_insurers_cannot_import),
    portal/tests/test_pages.py (test_statistics_are_for_bureaus_only),
    notifications/tests/test_message_centre.py (test_it_refuses_everyone_but_enterprise_users),
    accounts/tests/test_operators.py (test_an_operator_cannot_manage_operators) and test_lockout.py
    (test_only_single_window_operators_see_the_unlock_page). Here: every entry hidden from a party is a page
    that refuses it."""
    log_in(client, world, who)
    seen = labels(who)
    hidden = [entry for entry in ENTRIES if str(entry.label) not in seen and (who, entry.url_name) not in
              REACHABLE_OFF_MENU]
    assert hidden or who == "admin"
    for entry in hidden:
        response = client.get(reverse(entry.url_name))
        if who is None:
            assert response.status_code == 302 and response["Location"].startswith("/login/"), entry.url_name
        else:
            assert response.status_code == 403, entry.url_name


@pytest.mark.parametrize("who, path, current", [
    (None, "/", "首页"),
    (None, "/help/", "常见问题"),
    (None, "/features/", "地方特色应用"),
    ("demo", "/local/bind/", "地方特色应用"),
    ("bound_demo", "/insure/", "地方特色应用"),
    ("bureau", "/bureau/", "统计分析"),
    ("admin", "/bureau/", "统计分析"),
    ("bureau", "/enterprises/imports/", "数据导入"),
    ("bureau", "/enterprises/eligible/", "符合条件企业"),
    ("bureau", "/reminders/", "提醒"),
    ("county", "/reminders/templates/", "提醒"),
    ("insurer", "/insurer/", "保单审批"),
    ("insurer", "/insurer/issue/", "保单审批"),
    ("insurer", "/insurer/schemes/", "方案管理"),
    ("insurer", "/insurer/schemes/new/", "方案管理"),
    ("admin", "/insurer/schemes/", "方案管理"),
    ("insurer", "/insurer/batch/", "批量出单"),
    ("insurer", "/insurer/applications/", "申领"),
    ("demo", "/notices/", "消息中心"),
    ("demo", "/account/", "账户设置"),
    ("demo", "/account/password/", "账户设置"),
    ("demo", "/account/operators/add/", "操作员管理"),
    ("admin", "/account/locked/", "账号解锁"),
    ("admin", "/staff/", "单一窗口管理"),
    ("insurer", "/subsidies/applications/new/", "申请拨付"),
    ("bureau", "/subsidies/budgets/", "拨付审核"),
    ("county", "/subsidies/review/", "拨付审核"),
    ("bureau", "/subsidies/ledger/", "补贴台账"),
])
def test_only_the_entry_of_the_page_shown_is_current(world, client, request, who, path, current):
    if who == "bound_demo":
        client.force_login(request.getfixturevalue("bound_demo"))
    else:
        log_in(client, world, who)
    nav, tools = menus(client, path)
    marked = [label for _href, attrs, label in nav + tools if 'aria-current="page"' in attrs]
    assert marked == [current]
    assert [label for _href, attrs, label in nav if "active" in attrs] == ([current] if any(
        label == current for _h, _a, label in nav) else [])


def test_a_page_outside_the_menus_marks_no_entry(world, client):
    nav, tools = menus(client, "/no-such-page/")
    assert nav and not [label for _href, attrs, label in nav + tools if "aria-current" in attrs]
