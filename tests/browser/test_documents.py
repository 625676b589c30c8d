"""电子保单 end to end: the enterprise confirms, the insurer approves, the job signs the PDF, the enterprise downloads
it from its policy page; an anonymous visitor on a phone verifies it by number and code, by the QR code's address
and by the file itself, and the verification page passes axe at 390 px."""
import re
import subprocess

import pytest
from playwright.sync_api import expect

from .test_enterprise_journey import confirm_pending_policy
from .test_every_page_fits_and_is_accessible import AXE, AXE_RUN, LAYOUT_PROBLEMS

pytestmark = pytest.mark.browser


def fits_and_passes_axe(page):
    page.wait_for_load_state("networkidle")
    problems = page.evaluate(LAYOUT_PROBLEMS)
    page.add_script_tag(path=str(AXE))
    assert problems + page.evaluate(AXE_RUN) == []


def test_the_enterprise_downloads_its_signed_policy_and_a_stranger_verifies_it(portal, page, new_context, browser,
                                                                               settings, tmp_path):
    settings.SW_DOCUMENTS_ON_COMMIT = True  # the job runs after each commit, in the server (jobs run at once in tests)
    settings.SW_PUBLIC_URL = portal.url  # so the QR code leads to this server
    world = portal.world
    portal.enter_as(page, "demo")
    confirm_pending_policy(portal, page)

    insurer = portal.insurer_page(new_context)
    insurer.goto(f"{portal.url}/insurer/{world.pending.pk}/")
    insurer.get_by_role("button", name="审批通过").click()
    insurer.get_by_role("button", name="确认审批通过").click()
    insurer.goto(f"{portal.url}/insurer/{world.pending.pk}/")
    expect(insurer.get_by_role("link", name="下载电子保单")).to_be_visible()

    page.goto(f"{portal.url}/insure/{world.pending.pk}/")
    panel = page.get_by_test_id("policy-documents")
    expect(panel.get_by_role("link", name="下载确认回执")).to_be_visible()
    with page.expect_download() as fetched:
        panel.get_by_role("link", name="下载电子保单").click()
    saved = tmp_path / "policy.pdf"
    fetched.value.save_as(saved)
    assert fetched.value.suggested_filename == f"电子保单-{world.pending.number}-v1.pdf"
    text = subprocess.run(["pdftotext", str(saved), "-"], capture_output=True, check=True, timeout=60).stdout.decode()
    assert world.demo.enterprise.name in text and world.pending.number in text
    code = re.search(r"保单查验验证码\s+([0-9A-Z]{4}-[0-9A-Z]{4})", text)[1]
    qr_address = re.search(r"(http://\S+/verify/\?number=\S+&code=\S+)", text)[1]

    # A phone with no session; axe is injected, so this context alone lets a script in past the site's CSP.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", bypass_csp=True)
    stranger = phone.new_page()
    stranger.goto(f"{portal.url}/verify/")
    expect(stranger.get_by_role("heading", name="保单查验", exact=True)).to_be_visible()
    portal.field(stranger, "保单号").fill(world.pending.number)
    portal.field(stranger, "验证码").fill("0000-0000" if code != "0000-0000" else "1111-1111")
    stranger.get_by_role("button", name="查验", exact=True).click()
    expect(stranger.get_by_role("heading", name="查验结果：未找到")).to_be_visible()
    expect(stranger.get_by_text("汕尾市**贸易有限公司")).to_have_count(0)

    portal.field(stranger, "验证码").fill(code.lower())
    stranger.get_by_role("button", name="查验", exact=True).click()
    result = stranger.get_by_test_id("verify-result")
    expect(stranger.get_by_role("heading", name="查验结果：真实")).to_be_visible()
    expect(result).to_contain_text("汕尾市**贸易有限公司")
    expect(stranger.get_by_test_id("policy-standing")).to_have_text("有效")
    expect(stranger.get_by_test_id("verify-history")).to_have_text("此保单此前未被查验过。")
    expect(result).not_to_contain_text(world.demo.enterprise.uscc)
    fits_and_passes_axe(stranger)

    stranger.goto(qr_address)  # what a phone's camera opens
    expect(stranger.get_by_role("heading", name="查验结果：真实")).to_be_visible()
    expect(stranger.get_by_test_id("verify-history")).to_contain_text("此保单此前已被查验 1 次，最近一次")

    stranger.get_by_label("电子保单或确认回执文件（PDF）").set_input_files(saved)
    stranger.get_by_role("button", name="上传查验").click()
    expect(stranger.get_by_role("heading", name="查验结果：真实")).to_be_visible()
    expect(stranger.get_by_test_id("verify-history")).to_contain_text("此保单此前已被查验 2 次")
    fits_and_passes_axe(stranger)
    phone.close()
