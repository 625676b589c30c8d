"""立即注册 as the FAQ describes it, in chromium: the code alone tells 组织机构代码已存在; an enterprise known only
from the customs list is not told it has an account, and opens its first one with its 法人卡."""
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.eport.card_services import issue_card

pytestmark = pytest.mark.browser
PIN = "13572468"


def type_code(portal, page, uscc):
    page.goto(f"{portal.url}/register/")
    page.get_by_label("统一社会信用代码").fill(uscc)
    page.get_by_label("统一社会信用代码").press("Tab")  # leaving the box asks, nothing else is filled in yet
    return page.get_by_test_id("uscc-standing")


def test_the_code_alone_tells_that_the_organisation_code_is_registered(portal, page):
    standing = type_code(portal, page, portal.world.demo.enterprise.uscc)
    expect(standing.get_by_role("heading", name="组织机构代码已存在")).to_be_visible()
    expect(standing.get_by_role("link", name="忘记用户名")).to_be_visible()
    expect(standing).not_to_contain_text(portal.world.demo.enterprise.name)  # the code's standing, nothing more
    expect(page.get_by_label("企业名称")).to_have_value("")
    expect(page.locator(".is-invalid")).to_have_count(0)  # no other field was judged


def test_an_unknown_code_may_go_on_and_a_malformed_one_is_named(portal, page):
    standing = type_code(portal, page, make_uscc("91", "441521", "24681357"))
    expect(standing).to_contain_text("该统一社会信用代码尚未注册，请继续填写以下信息。")
    standing = type_code(portal, page, "91441521ABC")
    expect(standing.get_by_role("alert")).to_be_visible()


@pytest.fixture
def customs_only(portal, tmp_path, settings):
    """An enterprise from the customs list, without any account, whose legal person holds a 法人卡 in the control."""
    enterprise = Enterprise.objects.create(uscc=make_uscc("91", "441521", "97531864"), name="海丰县首开外贸有限公司",
                                           region_id="441521", legal_representative="郑海")
    ExportRecord.objects.create(enterprise=enterprise, year=2025, export_usd=880000)
    card = tmp_path / "first.card"
    issue_card(uscc=enterprise.uscc, ent_name=enterprise.name, holder="郑海", kind="legal", pin=PIN, path=card)
    process = subprocess.Popen([sys.executable, "-m", "cardagent", "--card", str(card), "--port", "0",
                                "--allow-origin", portal.url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("cardagent listening on ws://127.0.0.1:"), first
        settings.EPORT_AGENT_URL = first.rsplit(" ", 1)[1]
        yield enterprise
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_customs_only_enterprise_opens_its_first_account_with_its_legal_person_card(portal, page, customs_only):
    standing = type_code(portal, page, customs_only.uscc)
    expect(standing.get_by_role("heading", name="该企业尚未开通单一窗口账号")).to_be_visible()
    expect(standing).not_to_contain_text("组织机构代码已存在")
    standing.get_by_role("link", name="去卡介质登录").click()

    page.get_by_role("tab", name="卡介质").click()
    pane = page.get_by_role("tabpanel", name="卡介质")
    expect(pane.get_by_text(customs_only.name)).to_be_visible()
    pane.get_by_label("卡密码", exact=True).fill(PIN)
    pane.get_by_role("button", name="登录").click()

    expect(page.get_by_role("status").filter(has_text="当前企业")).to_contain_text(customs_only.uscc)
    page.goto(f"{portal.url}/account/operators/")  # the legal person's account manages the enterprise's operators
    expect(page.get_by_role("link", name="添加操作员")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="郑海")).to_contain_text("企业管理员（法人）")
