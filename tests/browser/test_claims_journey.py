"""报损与索赔 in chromium, as the demo's insured exporter and the insurer see it: a 可能损失通知 with its deadline
shown while it is typed, a 索赔 with its documents and their SHA-256 receipts, 要求补充材料 and the answer,
核赔 at a stated rate after its second step, and the indemnity's working line by line on the enterprise's page;
both claim pages on a 390 px phone without sideways scroll and without a serious axe-core violation."""
import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from singlewindow.accounts.models import User
from singlewindow.claims import services
from singlewindow.claims.models import Claim
from singlewindow.policies.models import Policy, PolicyStatus

from .test_every_page_fits_and_is_accessible import problems_on

pytestmark = pytest.mark.browser

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
PHONE = {"width": 390, "height": 844}
ASKED = "法院受理破产申请的裁定书"


def usd(value):
    return f"USD {value:,.2f}"


@pytest.fixture
def insured(live_world):
    """The demo's exporter and its effective policy of this year (the one its demo claims are on)."""
    user = User.objects.get(username="exporter")
    policy = (Policy.objects.filter(enterprise=user.enterprise_id, status=PolicyStatus.EFFECTIVE)
              .select_related("scheme").order_by("-cover_start").first())
    assert policy is not None and policy.cover_start <= timezone.localdate()
    return policy


def fill_notice(portal, page, policy, today):
    """Every field of the 可能损失通知, the due date last but one: its deadline appears as it is typed."""
    field = portal.field
    page.get_by_label(re.compile(r"^买方( \*)?$")).select_option(label="Baltic Timber Trading SIA（波罗的海木材贸易公司）")
    field(page, "合同号").fill("BT-2026-017")
    field(page, "发票号").fill("BT-INV-0917")
    field(page, "报关单号").fill("517020260000098765")
    field(page, "出运日期").fill(policy.cover_start.isoformat())
    page.get_by_label(re.compile(r"^币种( \*)?$")).select_option("EUR")
    field(page, "发票金额").fill("25,000.00")
    page.get_by_label(re.compile(r"^支付方式( \*)?$")).select_option("O/A")
    credit = min(30, (today - policy.cover_start).days)
    field(page, "信用期限（天）").fill(str(credit))
    due = policy.cover_start + dt.timedelta(days=credit)
    field(page, "应付款日").fill(due.isoformat())
    field(page, "应付款日").dispatch_event("change")  # what the date picker sends when a day is picked
    field(page, "逾期金额").fill("20,000.00")
    page.get_by_role("radio", name="买方破产").check()
    field(page, "已采取的催收措施").fill("已于应付款日后电话及邮件催收三次；买方已向里加地方法院申请破产，已委托当地律师申报债权。")
    contacts = page.get_by_role("region", name="联系人")  # the section is named as its field is
    field(contacts, "联系人").and_(contacts.get_by_role("textbox")).fill("周海")
    field(contacts, "联系电话").fill("13800138003")
    return due


def upload(page, label, path):
    page.get_by_label(f"上传{label}", exact=True).set_input_files(str(path))
    page.get_by_role("button", name=f"上传 {label}", exact=True).click()


def test_exporter_files_a_notice_claims_answers_the_insurer_and_reads_the_indemnity(
        portal, page, new_context, browser, insured, tmp_path):
    policy = insured
    scheme = policy.scheme
    today = timezone.localdate()
    rate_date = today - dt.timedelta(days=1)
    pdf = tmp_path / "索赔申请书.pdf"
    pdf.write_bytes(PDF)
    digest = hashlib.sha256(PDF).hexdigest()

    # 报损与索赔 from the menu; 报损 on the effective policy; a buyer added on the way (back to the form).
    portal.login(page, "exporter", "Demo@2020")
    portal.open_menu(page)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="报损与索赔").click()
    expect(page.get_by_role("heading", name="我的报损与索赔", exact=True)).to_be_visible()
    page.get_by_role("link", name=f"报损 {policy.number}", exact=True).click()
    expect(page.get_by_role("heading", name="报告可能损失")).to_be_visible()
    expect(page.get_by_text(policy.number).first).to_be_visible()
    page.get_by_role("link", name="买方不在列表中？添加买方").click()
    expect(page.get_by_role("heading", name="添加买方")).to_be_visible()
    portal.field(page, "买方名称（外文）").fill("Baltic Timber Trading SIA")
    portal.field(page, "买方名称（中文）").fill("波罗的海木材贸易公司")
    page.get_by_label(re.compile(r"^国家（地区）( \*)?$")).select_option(value="LV")
    portal.field(page, "地址").fill("Krišjāņa Valdemāra iela 21, Rīga")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="报告可能损失")).to_be_visible()
    expect(page.get_by_text("已添加买方 Baltic Timber Trading SIA（波罗的海木材贸易公司）。")).to_be_visible()

    expect(page.get_by_text(f"报损期限：应付款日后{scheme.notice_days}天内。填写应付款日后显示截止日。")).to_be_visible()
    due = fill_notice(portal, page, policy, today)
    deadline = due + dt.timedelta(days=scheme.notice_days)
    shown = page.get_by_test_id("notice-deadline")
    expect(shown).to_contain_text(f"报损截止日：{deadline:%Y-%m-%d}（应付款日后{scheme.notice_days}天内）")
    expect(shown.get_by_test_id("days-left")).to_have_text(
        f"还剩 {(deadline - today).days} 天" if deadline > today else "今天截止")
    expect(page.get_by_test_id("late-warning")).to_have_count(0)
    page.get_by_role("button", name="提交报损").click()

    expect(page.get_by_role("heading", name=re.compile(r"^可能损失通知 BS\d+$"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^报损 BS\d+ 已提交，等待保险公司受理。$"))).to_be_visible()
    facts = page.get_by_role("region", name="报损信息")
    for text in ("Baltic Timber Trading SIA（波罗的海木材贸易公司）", "BT-2026-017", "BT-INV-0917",
                 "517020260000098765", policy.cover_start.isoformat(), "EUR 25,000.00", "EUR 20,000.00"):
        expect(facts).to_contain_text(text)

    # 索赔 from the notice, for part of what is overdue.
    page.get_by_role("link", name="索赔", exact=True).click()
    expect(page.get_by_role("heading", name="索赔", exact=True)).to_be_visible()
    portal.field(page, "索赔金额").fill("18,000.00")
    page.get_by_role("button", name="提交索赔").click()
    heading = page.get_by_role("heading", name=re.compile(r"^索赔 \S+$"))
    expect(heading).to_be_visible()
    number = heading.inner_text().split()[-1]
    claim = Claim.objects.get(number=number)
    expect(page.get_by_text(f"索赔 {number} 已提交。请按清单上传索赔材料。")).to_be_visible()
    expect(page.get_by_role("region", name="索赔信息")).to_contain_text("EUR 18,000.00")

    # Two rows of the checklist: each upload is acknowledged with the file's SHA-256.
    upload(page, "索赔申请书", pdf)
    expect(page.get_by_text(f"已收到 索赔申请书.pdf（{len(PDF)} 字节），SHA-256：{digest}。")).to_be_visible()
    invoice = tmp_path / "发票.pdf"
    invoice.write_bytes(PDF)
    upload(page, "发票", invoice)
    rows = page.get_by_test_id("checklist-row")
    for label in ("索赔申请书", "发票"):
        row = rows.filter(has=page.get_by_role("cell", name=label, exact=True))
        expect(row.get_by_text("已上传", exact=True)).to_be_visible()
        expect(row.get_by_test_id("sha256")).to_have_text(digest)
    expect(rows.filter(has=page.get_by_role("cell", name="提单", exact=True)).get_by_text("待上传")).to_be_visible()

    # The insurer: 理赔审核 → 索赔 tab → the claim; 开始审核; 要求补充材料 with one item.
    insurer = new_context().new_page()
    portal.login(insurer, "insurer", "Insurer@2020")
    portal.open_menu(insurer)
    insurer.get_by_role("navigation", name="主导航").get_by_role("link", name="理赔审核").click()
    expect(insurer.get_by_role("heading", name="理赔审核")).to_be_visible()
    insurer.get_by_role("link", name=re.compile(r"^索赔 \d+$")).click()
    insurer.get_by_role("link", name=number, exact=True).click()
    expect(insurer.get_by_role("heading", name=re.compile(f"^索赔审核 {number}"))).to_be_visible()
    insurer.get_by_role("button", name="开始审核").click()
    expect(insurer.get_by_text(f"索赔 {number} 已开始审核。")).to_be_visible()
    portal.field(insurer, "需要企业补充的材料").fill(ASKED)
    insurer.get_by_role("button", name="要求补充材料").click()
    expect(insurer.get_by_text("已要求企业补充 1 项材料，企业将收到通知。")).to_be_visible()

    # The enterprise sees what is asked, uploads a file for it with a word of reply, and sends it.
    page.reload()
    asked = page.get_by_role("region", name="需要您补充的材料")
    expect(asked.get_by_test_id("requested-item")).to_have_count(1)
    expect(asked.get_by_test_id("requested-item")).to_contain_text(ASKED)
    ruling = tmp_path / "破产裁定书.pdf"
    ruling.write_bytes(PDF)
    upload(asked, ASKED, ruling)
    expect(page.get_by_text(f"已收到 破产裁定书.pdf（{len(PDF)} 字节），SHA-256：{digest}。")).to_be_visible()
    asked = page.get_by_role("region", name="需要您补充的材料")
    expect(asked.get_by_test_id("sha256")).to_have_text(digest)
    asked.get_by_label(f"关于“{ASKED}”的说明").fill("裁定书为里加地方法院 2026 年出具的副本。")
    asked.get_by_role("button", name="提交补充材料").click()
    expect(page.get_by_text("补充材料已提交，保险公司将继续审核。")).to_be_visible()
    expect(page.get_by_role("region", name="需要您补充的材料")).to_have_count(0)
    answered = page.get_by_test_id("checklist-row").filter(has_text=ASKED)
    expect(answered.get_by_text("已补充")).to_be_visible()

    # The insurer reads the reply, 试算 at a stated rate and date, then 核赔 through its second step.
    ratio, maximum = scheme.indemnity_ratio, scheme.max_indemnity_usd
    already = services.counted_usd(policy, excluding=claim.pk)
    loss = Decimal("18000.00") * Decimal("1.0850")
    by_ratio = (loss * ratio / 100).quantize(Decimal("0.01"))
    remaining = maximum - already
    paid = min(by_ratio, remaining)
    insurer.reload()
    expect(insurer.get_by_role("region", name="补充材料要求")).to_contain_text("裁定书为里加地方法院 2026 年出具的副本。")
    approve = insurer.get_by_role("region", name="核赔")
    approve.get_by_label("汇率（1 EUR 折合美元）").fill("1.0850")
    approve.get_by_label("汇率日期").fill(rate_date.isoformat())
    approve.get_by_role("button", name="试算").click()
    preview = insurer.get_by_test_id("preview")
    expect(preview).to_contain_text(usd(loss))
    expect(preview).to_contain_text(usd(paid))
    insurer.get_by_role("button", name=f"核赔（{usd(paid)}）").click()
    expect(insurer.get_by_role("heading", name="核赔")).to_be_visible()
    expect(insurer.get_by_role("note")).to_contain_text("不能更改")
    insurer.get_by_role("button", name=f"确认核赔（赔款 {usd(paid)}）").click()
    expect(insurer.get_by_text(f"索赔 {number} 已核赔，赔款 {usd(paid)}。", exact=False)).to_be_visible()
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.APPROVED

    # The enterprise: the indemnity and how it was reached, line by line, with the rate and its date.
    page.reload()
    working = page.get_by_role("region", name="赔款及计算过程")
    expect(working.get_by_test_id("indemnity")).to_have_text(f"赔款 {usd(paid)}")
    lines = working.get_by_role("row")
    expect(lines).to_have_count(5)  # the header and four lines
    expect(lines.nth(1)).to_contain_text("核定损失")
    expect(lines.nth(1)).to_contain_text(f"索赔金额 EUR 18,000.00 × 汇率 1.0850（{rate_date:%Y-%m-%d}")
    expect(lines.nth(1)).to_contain_text(usd(loss))
    expect(lines.nth(2)).to_contain_text("按赔偿比例")
    expect(lines.nth(2)).to_contain_text(f"{usd(loss)} × {ratio:f}%")
    expect(lines.nth(2)).to_contain_text(usd(by_ratio))
    expect(lines.nth(3)).to_contain_text("剩余赔偿限额")
    expect(lines.nth(3)).to_contain_text(f"本保单年度最高赔偿限额 {usd(maximum)} − 已核赔 {usd(already)}")
    expect(lines.nth(3)).to_contain_text(usd(remaining))
    expect(lines.nth(4)).to_contain_text("赔款")
    expect(lines.nth(4)).to_contain_text(usd(paid))
    expect(working).to_contain_text(f"汇率：1 EUR = 1.085000 美元（{rate_date:%Y-%m-%d}）。")

    # Both claim pages on a 390 px phone: no sideways scroll, no serious or critical axe-core violation.
    report = {}
    for login, path in ((("exporter", "Demo@2020"), f"/claims/{claim.pk}/"),
                        (("insurer", "Insurer@2020"), f"/claims/desk/{claim.pk}/")):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
        phone = context.new_page()
        portal.login(phone, *login)
        found = problems_on(phone, portal.url + path)
        if found:
            report[path] = found
        context.close()
    assert not report, "\n".join(f"{where}: {'; '.join(found)}" for where, found in report.items())
