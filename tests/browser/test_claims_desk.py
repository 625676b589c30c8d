"""理赔审核 in chromium, as the insurer sees it: the queue (both tabs, filtered), a 可能损失通知 with its thread and
a settlement plan to decide, claims under review (with the 试算 shown), asked for documents, paid with a recovery,
the buyers and the figures — on a 390 px phone and a 1366 px desktop, nothing scrolls sideways, no amount is
broken over lines, and axe-core finds no serious or critical violation."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from singlewindow.accounts.models import User
from singlewindow.claims import services
from singlewindow.claims.models import Claim
from singlewindow.policies.models import Policy, PolicyStatus

from .test_every_page_fits_and_is_accessible import AXE, WIDTHS, problems_on

pytestmark = pytest.mark.browser

# Amounts kept whole (sw-nowrap, the working's results): no piece of their text laid out over two lines.
AMOUNTS_BROKEN = """() => {
  const broken = [];
  for (const el of document.querySelectorAll(
      '.sw-nowrap, [data-testid=working] td:last-child, [data-testid=preview] td:last-child')) {
    if (!el.checkVisibility()) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!/\\d/.test(node.textContent)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(`“${node.textContent.trim()}” is broken over lines`);
    }
  }
  return broken;
}"""


def notice_data(user, buyer, today, **fields):
    data = {
        "buyer": buyer.pk, "contract_no": "DK-HT-0001", "invoice_no": "DK-INV-0001",
        "declaration_no": "517020260000054321", "shipment_date": today, "currency": "EUR",
        "invoice_amount": Decimal("1250000.00"), "payment_terms": "O/A", "credit_days": 90,
        "due_date": today + dt.timedelta(days=90), "overdue_amount": Decimal("1187654.32"), "cause": "insolvency",
        "collection_steps": "买方已申请破产保护，已委托当地律师申报债权并多次发函催收。",
        "contact_name": "周海", "contact_phone": "13800138003",
    }
    data.update(fields)
    return data


@pytest.fixture
def desk(live_world):
    """On the demo exporter's policy (besides the demo's claim asked for documents and its paid one): a notice
    with a question and a settlement plan to decide, and a claim in review with large amounts."""
    user = User.objects.get(username="exporter")
    insurer = User.objects.get(username="insurer")
    policy = (Policy.objects.filter(enterprise=user.enterprise_id, status=PolicyStatus.EFFECTIVE)
              .select_related("scheme").order_by("-cover_start").first())
    today = timezone.localdate()
    buyer = services.add_buyer(user, {"name_latin": "Vereinigte Großhandelsgesellschaft Norddeutschland mbH",
                                      "name_zh": "北德联合批发有限公司", "country": "DE"})
    notice = services.file_notice(user, policy.pk, notice_data(user, buyer, today))
    services.post_message(insurer, notice.pk, "question", "请补充买方破产申请的受理文书编号及管理人联系方式。")
    services.propose_settlement(user, notice.pk, "买方管理人提议按债权的六成分四期清偿，首期于下月底前支付。")
    reviewed = services.file_notice(user, policy.pk, notice_data(user, buyer, today, invoice_no="DK-INV-0002"))
    claim = services.submit_claim(user, reviewed.pk, claimed_amount="1187654.32")
    services.take_claim(insurer, claim.pk)
    claims = Claim.objects.filter(policy=policy)
    paid = claims.filter(status=Claim.Status.PAID).first()
    services.record_recovery(insurer, paid.pk, amount_usd="3456.78", received_on=today)
    asked = claims.filter(status=Claim.Status.INFO_REQUESTED).first()
    assert paid is not None and asked is not None
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    return SimpleNamespace(notice=notice, claim=claim, paid=paid, asked=asked, paths=[
        "/claims/desk/", "/claims/desk/?tab=claims", "/claims/desk/?tab=claims&status=all&assignee=me",
        "/claims/desk/?tab=notices&status=all&cause=insolvency",
        f"/claims/desk/notices/{notice.pk}/", f"/claims/desk/notices/{asked.notice_id}/",
        f"/claims/desk/{claim.pk}/", f"/claims/desk/{claim.pk}/?usd_rate=1.085&rate_date={yesterday}",
        f"/claims/desk/{asked.pk}/", f"/claims/desk/{paid.pk}/",
        "/claims/desk/buyers/", "/claims/figures/",
    ])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_desk_fits_and_has_no_serious_accessibility_violation(portal, browser, desk, width):
    assert AXE.exists(), "axe-core is installed by `make install` (npm ci)"
    context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    portal.login(page, "insurer", "Insurer@2020")
    report = {}
    for path in desk.paths:
        found = problems_on(page, portal.url + path)
        found += page.evaluate(AMOUNTS_BROKEN)
        if found:
            report[path] = found
    assert not report, "\n".join(f"{where}: {'; '.join(found)}" for where, found in report.items())
    # what was checked: the paid claim's working and recoveries, the 试算, the settlement plan's form
    page.goto(f"{portal.url}/claims/desk/{desk.paid.pk}/")
    expect(page.get_by_role("table", name="计算过程")).to_be_visible()
    expect(page.get_by_test_id("recoveries")).to_contain_text("USD 3,456.78")
    page.goto(f"{portal.url}{desk.paths[7]}")
    expect(page.get_by_test_id("preview")).to_contain_text("USD")
    page.goto(f"{portal.url}/claims/desk/notices/{desk.notice.pk}/")
    expect(page.get_by_role("button", name="提交决定")).to_be_visible()
    context.close()
