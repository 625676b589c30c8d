"""卡介质 in chromium with the real 客户端控件: log in with the PIN, bind, confirm with a card signature.

The agent runs as its own process on a free loopback port with a demo card file, allowing the live
server's origin only; the login page is told that port through settings.EPORT_AGENT_URL.
"""
import http.server
import json
import socket
import subprocess
import sys
import threading
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from singlewindow.accounts import sessions
from singlewindow.audit.models import AuditEvent
from singlewindow.eport.demo import DEMO_CARDS, cards_dir
from singlewindow.policies.models import Confirmation

pytestmark = pytest.mark.browser
DEMO_LEGAL = next(row for row in DEMO_CARDS if row[0] == "demo-legal.card")


@pytest.fixture
def agent(portal, settings, tmp_path):
    log = tmp_path / "agent.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "cardagent", "--card", str(cards_dir() / DEMO_LEGAL[0]), "--port", "0",
             "--allow-origin", portal.url],
            stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("cardagent listening on ws://127.0.0.1:"), log.read_text()
        settings.EPORT_AGENT_URL = first.rsplit(" ", 1)[1]
        yield SimpleNamespace(url=settings.EPORT_AGENT_URL, pin=DEMO_LEGAL[4], log=log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def card_tab(portal, page):
    page.goto(f"{portal.url}/login/")
    page.get_by_role("tab", name="卡介质").click()
    return page.get_by_role("tabpanel", name="卡介质")


def test_a_card_holder_logs_in_with_the_pin_binds_and_confirms_with_the_cards_signature(
        portal, page, agent, new_context):
    world = portal.world
    pane = card_tab(portal, page)
    expect(pane.get_by_text(world.demo.enterprise.name)).to_be_visible()  # read from the card by the control
    pane.get_by_label("卡密码", exact=True).fill(agent.pin)
    pane.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="当前企业")).to_contain_text(world.demo.enterprise.uscc)

    portal.open_insurance(page)
    portal.bind(page)
    portal.row(page, world.pending).get_by_role("link", name="查看详情").click()
    portal.fill_contacts(page)
    portal.accept_agreement(page)
    page.locator("#confirm-form").get_by_label("卡密码（用于签名）").fill(agent.pin)
    page.get_by_role("button", name="确认投保").click()
    expect(page.get_by_role("heading", name="确认投保已提交")).to_be_visible()

    signed = json.loads(Confirmation.objects.get(policy=world.pending).signature)
    assert json.loads(signed["data"])["policy"] == world.pending.number
    insurer = portal.insurer_page(new_context)
    insurer.goto(f"{portal.url}/insurer/{world.pending.pk}/")
    expect(insurer.get_by_text("卡签名", exact=True)).to_be_visible()


def card_login_and_bind(portal, page, agent):
    pane = card_tab(portal, page)
    expect(pane.get_by_text(portal.world.demo.enterprise.name)).to_be_visible()
    pane.get_by_label("卡密码", exact=True).fill(agent.pin)
    pane.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    portal.open_insurance(page)
    portal.bind(page)


def test_a_card_holder_declines_with_the_cards_signature(portal, page, agent):
    world = portal.world
    card_login_and_bind(portal, page, agent)
    portal.row(page, world.pending).get_by_role("link", name="查看详情").click()
    page.get_by_role("link", name="放弃投保").click()  # a secondary link, then a page of its own
    decline = page.get_by_role("region", name="放弃投保")
    expect(decline).to_contain_text("放弃后本方案下将不再为本企业承保")
    decline.get_by_label("原因").fill("企业已另行投保。")
    decline.get_by_role("button", name="确认放弃投保").click()
    expect(decline.get_by_role("alert")).to_contain_text("请输入卡密码，用电子口岸卡签名后放弃投保")  # no PIN yet
    decline.get_by_label("卡密码（用于签名）").fill(agent.pin)
    decline.get_by_role("button", name="确认放弃投保").click()
    expect(page.get_by_role("alert").filter(has_text=f"已放弃投保保单 {world.pending.number}")).to_be_visible()

    event = AuditEvent.objects.get(action="policy.decline", object_id=str(world.pending.pk))
    signed = json.loads(event.data["card_signature"]["data"])
    assert (signed["policy"], signed["reason"]) == (world.pending.number, "企业已另行投保。")


def test_a_card_session_left_idle_lands_on_the_login_page_saying_it_timed_out(portal, page, agent, monkeypatch):
    card_login_and_bind(portal, page, agent)
    clock = sessions.clock()
    monkeypatch.setattr(sessions, "clock", lambda: clock + 31 * 60)  # half an hour later
    portal.refresh_popup(page)  # what the notice popup's own poll does every 20 s
    expect(page.get_by_role("alert").filter(has_text="登录已超时，请重新登录")).to_be_visible()
    expect(page.get_by_role("tab", name="卡介质")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_a_wrong_pin_is_refused_with_the_tries_left(portal, page, agent):
    pane = card_tab(portal, page)
    pane.get_by_label("卡密码", exact=True).fill("00000000")
    pane.get_by_role("button", name="登录").click()
    expect(pane.get_by_role("alert")).to_contain_text("卡密码错误，还可尝试 9 次")
    expect(pane.get_by_role("link", name="1002")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_an_address_over_the_challenge_limit_is_told_to_wait(portal, page, agent, settings):
    settings.EPORT_CHALLENGES_PER_ADDRESS = 0
    pane = card_tab(portal, page)
    pane.get_by_label("卡密码", exact=True).fill(agent.pin)
    pane.get_by_role("button", name="登录").click()
    expect(pane.get_by_role("alert")).to_contain_text("登录请求过于频繁：同一网络地址10分钟内请求卡介质登录的次数过多")
    expect(pane.get_by_role("link", name="EP-212")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def test_without_a_running_control_the_page_says_to_install_or_restart_it(portal, page, settings):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        settings.EPORT_AGENT_URL = f"ws://127.0.0.1:{probe.getsockname()[1]}"
    pane = card_tab(portal, page)
    guidance = pane.get_by_role("alert").filter(has_text="未检测到客户端控件")
    expect(guidance).to_contain_text("客户端控件未安装或未启动")
    expect(guidance).to_contain_text("“开始”菜单中找到客户端控件并重新启动")
    expect(guidance.get_by_role("link", name="客户端控件下载")).to_be_visible()
    guidance.get_by_role("link", name="EP-101").click()
    expect(page.get_by_role("heading", name="客户端控件下载")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="EP-101")).to_contain_text("客户端控件未安装或未启动")


@pytest.fixture
def hostile_site():
    """A web page of another origin on this same PC (chromium itself keeps public sites off loopback)."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", pages=pages)
    server.shutdown()
    server.server_close()


def test_a_page_from_another_origin_cannot_use_the_card(page, agent, hostile_site):
    hostile_site.pages["/"] = f"""<!doctype html><title>hostile</title><p id="result">waiting</p><script>
      var ws = new WebSocket({json.dumps(agent.url)}), result = document.getElementById("result");
      ws.onmessage = function () {{ result.textContent = "card answered"; }};
      ws.onopen = function () {{ ws.send(JSON.stringify({{_method: "cus-sec_SpcGetCardID", _id: 1, args: {{}}}})); }};
      ws.onclose = function () {{ if (result.textContent === "waiting") result.textContent = "refused"; }};
    </script>"""
    page.goto(f"{hostile_site.url}/")
    expect(page.locator("#result")).to_have_text("refused")
    assert f"refused origin {hostile_site.url}" in agent.log.read_text()


def test_a_control_that_refuses_this_sites_address_is_told_apart_from_no_control(portal, page, settings, tmp_path):
    """EP-103, not EP-101: the control runs, but was started without --allow-origin for this portal."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cardagent", "--card", str(cards_dir() / DEMO_LEGAL[0]), "--port", "0",
         "--allow-origin", "http://127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        settings.EPORT_AGENT_URL = process.stdout.readline().strip().rsplit(" ", 1)[1]
        pane = card_tab(portal, page)
        refusal = pane.get_by_role("alert").filter(has_text="EP-103")
        expect(refusal).to_contain_text("客户端控件已启动，但拒绝了本网站的地址")
        expect(refusal).to_contain_text(f"--allow-origin {portal.url}")
        expect(pane.get_by_role("alert").filter(has_text="未检测到客户端控件")).to_be_hidden()
        refusal.get_by_role("link", name="EP-103").click()
        expect(page.get_by_role("row").filter(has_text="EP-103")).to_contain_text("拒绝了本网站的地址")
    finally:
        process.terminate()
        process.wait(timeout=10)
