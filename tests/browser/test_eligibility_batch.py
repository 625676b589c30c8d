"""The customs list to a 待确认 policy in chromium: the bureau uploads, follows the progress, sees who is
eligible; the insurer issues in one batch; an exporter from the file finds its policy waiting."""
import csv

import pytest
from playwright.sync_api import expect

from singlewindow.accounts.models import Role, User
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise
from singlewindow.policies.models import Policy

pytestmark = pytest.mark.browser

EXPORTERS = [  # (organisation body, name, county, USD)
    ("71000001", "汕尾市品清湾电子有限公司", "441502", "2999999.99"),
    ("71000002", "海丰县可塘珠宝有限公司", "441521", "86000"),
    ("71000003", "陆丰市碣石水产有限公司", "441581", "3000000"),  # exactly the threshold: not eligible
]


@pytest.fixture
def customs_file(tmp_path, live_world, settings):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    path = tmp_path / "海关出口数据.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["统一社会信用代码", "企业名称", "县区代码", "年度", "出口额（美元）"])
        for body, name, county, usd in EXPORTERS:
            writer.writerow([make_uscc("91", county, body), name, county, live_world.scheme.basis_year, usd])
    return path


def test_upload_progress_eligible_list_batch_issue_and_the_enterprise_sees_its_policy(
        portal, page, new_context, customs_file):
    # The 汕尾市 bureau loads the customs export list and follows the import.
    portal.login(page, "bureau", "Bureau@2020")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="数据导入").click()
    page.get_by_label("出口数据文件（CSV 或 XLSX）").set_input_files(str(customs_file))
    page.get_by_role("button", name="上传并导入").click()
    progress = page.get_by_role("progressbar", name="导入进度")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_text("已写入 3 条出口记录，新建企业 3 家。")).to_be_visible()

    # Who is eligible now: the two under USD 3,000,000, not the one exactly at it.
    page.get_by_role("link", name="查看符合条件企业").click()
    expect(page.get_by_role("heading", name="符合条件企业")).to_be_visible()
    listed = page.locator("#eligible-list")
    expect(listed.get_by_text(EXPORTERS[0][1])).to_be_visible()
    expect(listed.get_by_text(EXPORTERS[2][1])).to_have_count(0)
    expect(page.locator("#county-counts").get_by_role("rowheader", name="城区 441502")).to_be_visible()

    # The insurer issues to everyone eligible in one batch.
    insurer = portal.insurer_page(new_context)
    insurer.get_by_role("navigation", name="主导航").get_by_role("link", name="批量出单").click()
    waiting = _waiting(portal)
    insurer.get_by_role("button", name=f"批量出单（{waiting} 家）").click()
    insurer.get_by_role("button", name=f"确认批量出单（{waiting} 家）").click()
    expect(insurer.get_by_role("progressbar", name="出单进度")).to_have_attribute("aria-valuenow", "100")
    expect(insurer.get_by_text("批量出单完成")).to_be_visible()

    # An exporter from the file logs in and finds its 待确认 policy.
    enterprise = Enterprise.objects.get(name=EXPORTERS[0][1])
    User.objects.create_user("pinqing", password="Demo@2020", role=Role.ENTERPRISE, enterprise=enterprise)
    exporter = new_context().new_page()
    portal.enter_as(exporter, "pinqing", register_as="pqlocal")
    policy = Policy.objects.get(enterprise=enterprise)
    expect(portal.tab(exporter, "待确认", 1)).to_be_visible()
    expect(portal.row(exporter, policy)).to_be_visible()


def _waiting(portal):
    from singlewindow.enterprises import eligibility

    return eligibility.eligible_records(portal.world.scheme).count()
