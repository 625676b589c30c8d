"""Every page of the journey on a 390 px phone and a 1366 px desktop: nothing scrolls sideways, no word is
broken inside, and axe-core (vendored from npm, injected here) finds no serious or critical violation."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}

# A page wider than the window, and short labels a narrow box breaks inside (简/体/中/文, 审/批中): a label of
# up to 8 characters without spaces whose text runs over more than one line.
LAYOUT_PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
  }
  for (const el of document.querySelectorAll('a, button, th, td, .badge, label, h1, h2, dt, dd')) {
    const text = el.innerText.trim();
    if (!el.checkVisibility() || !text || text.length > 8 || /\\s/.test(text)) continue;
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
    }
    if (tops.size > 1) problems.push(`“${text}” is broken over lines`);
  }
  return problems;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""


def pages_of(world):
    pending = world.pending.pk
    return {
        None: ["/", "/login/", "/register/", "/forgot-password/", "/forgot-username/", "/help/", "/features/",
               "/control/"],
        ("demo", "Demo@2020"): ["/", "/features/", "/insure/", "/insure/?tab=confirmed", f"/insure/{pending}/",
                                f"/insure/{pending}/decline/",
                                "/account/",
                                "/account/password/", "/account/mobile/", "/account/operators/", "/notices/",
                                "/alerts/", "/alerts/archive/", "/alerts/countries/US/"],
        ("insurer", "Insurer@2020"): ["/insurer/", "/insurer/issue/", "/insurer/schemes/", "/insurer/schemes/new/",
                                      "/insurer/batch/", "/insurer/applications/", f"/insurer/{pending}/",
                                      "/enterprises/imports/", "/alerts/manage/", "/alerts/manage/new/"],
        ("bureau", "Bureau@2020"): ["/bureau/", "/bureau/enterprises/", "/bureau/enterprises/?status=pending&q=汕尾",
                                    "/enterprises/publications/",
                                    "/enterprises/eligible/", "/enterprises/imports/"],
        ("admin", "Admin@2020"): ["/", "/staff/", "/staff/?q=demo", "/account/locked/"],
    }


def problems_on(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = page.evaluate(LAYOUT_PROBLEMS)
    page.add_script_tag(path=str(AXE))
    found += page.evaluate(AXE_RUN)
    return found


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_has_no_serious_accessibility_violation(portal, browser, width):
    from singlewindow.accounts import services as accounts

    assert AXE.exists(), "axe-core is installed by `make install` (npm ci)"
    accounts.bind_existing(portal.world.demo, username="swdemo", password="Local@2020")
    report = {}
    for login, paths in pages_of(portal.world).items():
        # axe is injected as a script the page's own Content-Security-Policy would rightly refuse.
        context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        if login:
            portal.login(page, *login)
        for path in paths:
            found = problems_on(page, portal.url + path)
            if found:
                report[f"{login and login[0]} {path}"] = found
        if login:
            expect(page.locator("form[action='/logout/']"), "still logged in after the walk").to_be_attached()
        context.close()
    assert not report, "\n".join(f"{where}: {'; '.join(found)}" for where, found in report.items())
