"""统计分析 in chromium: the bureau opens the dashboard, both charts are drawn under the site's own
Content-Security-Policy from the figures of the tables beside them, and a scheme and date filter holds."""
import pytest
from playwright.sync_api import expect

from singlewindow.bureaus.figures import default_scheme

CHART = "id => { const c = Chart.getChart(id); return c ? c.data.datasets.map(d => d.data) : null; }"


@pytest.mark.browser
def test_the_bureau_sees_uptake_by_county_and_confirmations_per_day_drawn(portal, page):
    page.on("pageerror", lambda error: pytest.fail(f"script error: {error}"))
    portal.login(page, "bureau", "Bureau@2020")
    page.goto(f"{portal.url}/bureau/")
    expect(page.get_by_role("heading", name="统计分析")).to_be_visible()
    expect(page.get_by_role("img", name="各县区参保率与确认率柱状图，数据见下表")).to_be_visible()
    uptake = page.evaluate(CHART, "uptake-chart")
    table = page.get_by_test_id("uptake").locator("tbody tr")
    assert uptake is not None and len(uptake[0]) == table.count() > 1
    first = table.first.locator("td").first.inner_text()
    assert first == "—" or float(first.rstrip("%")) == uptake[0][0]
    daily = page.evaluate(CHART, "daily-chart")
    assert daily is not None and len(daily[0]) == page.get_by_test_id("daily").locator("tbody tr").count()

    scheme = default_scheme(portal.world.bureau)
    page.get_by_label("确认日期自").fill(f"{scheme.cover_start:%Y-%m-%d}")
    page.get_by_label("至（含当日）").fill(f"{scheme.cover_start:%Y-%m-%d}")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("daily").locator("tbody tr")).to_have_count(1)
    assert len(page.evaluate(CHART, "daily-chart")[0]) == 1
