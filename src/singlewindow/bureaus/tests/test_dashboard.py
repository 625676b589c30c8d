"""统计分析: per county and in total for one scheme, the definitions on the page, two charts with the same
figures as their tables, a scheme and date filter, and an .xlsx with the page's own figures."""
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from singlewindow.bureaus import figures
from singlewindow.bureaus.figures import default_scheme
from singlewindow.claims.tests.conftest import file
from singlewindow.enterprises.eligibility import counts_by_county
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.policies import services, tally
from singlewindow.policies.models import Confirmation, Policy, PolicyStatus, Scheme
from singlewindow.policies.tests.conftest import confirm_as, page_text
from singlewindow.regions.models import Region

URL = "/bureau/"


def cells_of(response):
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def county_rows(rows):
    """The county lines of the export: between its header (县区代码) and the 合计 line."""
    start = next(i for i, row in enumerate(rows) if row[:1] == ["县区代码"]) + 1
    end = next(i for i, row in enumerate(rows) if len(row) > 1 and row[1] == "合计")
    return rows[start:end], rows[end]


def chart_data(response):
    html = response.content.decode()
    return json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html,
                                re.DOTALL)[1])


def test_the_total_line_counts_the_newest_schemes_policies_and_states_each_rate(world, client):
    client.force_login(world.bureau)
    scheme = default_scheme(world.bureau)
    text = page_text(client.get(URL))
    policies = Policy.objects.visible_to(world.bureau).filter(scheme=scheme)
    issued = policies.count()
    counts = " ".join(str(policies.filter(status=s).count()) for s in PolicyStatus)
    waiting = sum(w for _c, w, _i in counts_by_county(scheme))
    eligible = waiting + issued
    insured = policies.filter(status__in=["effective", "expired"]).count()
    confirmed = policies.filter(status__in=["confirmed", "effective", "expired"]).count()
    assert f"合计 {eligible} {counts} {issued} {insured * 100 / eligible:.1f}% {confirmed * 100 / issued:.1f}%" in text
    assert "参保率：已生效（含保险期满已到期）的保单数 ÷ 符合条件企业数" in text
    assert "确认率：已确认投保（审批中、已生效、已到期）的保单数 ÷ 已出单保单数" in text
    assert f"确认截止日：{scheme.confirm_deadline:%Y-%m-%d}（含当日）" in text


def test_the_charts_draw_the_figures_of_the_tables_beside_them(world, client):
    client.force_login(world.bureau)
    response = client.get(URL)
    data = chart_data(response)
    html = response.content.decode()
    uptake = re.search(r'data-testid="uptake">(.*?)</table>', html, re.DOTALL)[1]
    shown = re.findall(r'<th scope="row">([^<]+)</th><td class="text-end">([\d.]+)%</td><td class="text-end">([\d.]+)%',
                       uptake)
    assert [name for name, _t, _c in shown] == data["counties"]
    assert [float(t) for _n, t, _c in shown] == data["take_up"]
    assert [float(c) for _n, _t, c in shown] == data["confirm_rate"]
    daily = re.search(r'data-testid="daily">(.*?)</table>', html, re.DOTALL)[1]
    days = re.findall(r'<th scope="row" class="sw-nowrap">([\d-]+)</th><td class="text-end">(\d+)</td>'
                      r'<td class="text-end">(\d+)</td>', daily)
    assert [d for d, _n, _c in days] == data["days"]
    assert [int(n) for _d, n, _c in days] == data["confirmed"]
    assert [int(c) for _d, _n, c in days] == data["cumulative"]
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in html and "<script>" not in html


def test_a_confirmation_shows_on_its_day_and_in_the_running_total(world, client):
    scheme = world.pending.scheme
    before = Confirmation.objects.filter(policy__scheme=scheme).count()
    confirm_as(world.demo, world.pending)
    day = Confirmation.objects.filter(policy=world.pending).get().at
    local = dt.datetime.fromtimestamp(day.timestamp(), tz=dt.timezone(dt.timedelta(hours=8))).date()
    client.force_login(world.bureau)
    data = chart_data(client.get(URL, {"scheme": scheme.pk, "start": local - dt.timedelta(days=1), "end": local}))
    assert data["days"] == [f"{local - dt.timedelta(days=1)}", f"{local}"]
    on_day = Confirmation.objects.filter(policy__scheme=scheme, at__date=local).count()
    assert data["confirmed"][-1] == on_day >= 1
    assert data["cumulative"][-1] == before + 1


@pytest.mark.parametrize("params, field, message", [
    ({"start": "2020-07-01", "end": "2020-06-01"}, "至（含当日）", "结束日期不能早于开始日期。"),
    ({"start": "2020-01-01", "end": "2021-06-01"}, "至（含当日）", "日期范围最长 366 天。"),
    ({"start": "2020-02-30"}, "确认日期自", "请输入有效的日期，如 2020-06-01。"),
    ({"start": "2020-01-01\u202e"}, "确认日期自", "请输入有效的日期"),
])
def test_a_bad_date_filter_is_refused_naming_its_field(world, client, params, field, message):
    client.force_login(world.bureau)
    response = client.get(URL, params)
    assert response.status_code == 400
    text = page_text(response)
    assert field in text and message in text
    assert client.get(URL, {**params, "format": "xlsx"})["Content-Type"].startswith("text/html")


def test_a_nul_in_the_filter_is_refused_at_the_edge(world, client):
    client.force_login(world.bureau)
    assert client.get(URL, {"start": "2020\x00-01-01"}).status_code == 400


def test_a_scheme_filter_counts_only_that_schemes_policies(world, client):
    other = Scheme.objects.get(pk=world.scheme.pk)
    other.pk, other.name = None, "汕尾市第二期统保方案"
    other.save()
    services.issue(world.insurer, other.pk, world.pending.enterprise_id, exception_reason="测试：第二期方案",
                   now=timezone.make_aware(dt.datetime.combine(other.cover_start, dt.time(10))))
    client.force_login(world.bureau)
    response = client.get(URL, {"scheme": other.pk})
    _rows, total = county_rows(cells_of(client.get(URL, {"scheme": other.pk, "format": "xlsx"})))
    assert "汕尾市第二期统保方案" in page_text(response)
    assert total[3] == 1 and total[4] == 1  # one policy issued, 待确认


def test_a_scheme_the_bureau_cannot_see_is_refused_with_the_fields_name(world, client, guangzhou_policy):
    client.force_login(world.county)
    response = client.get(URL, {"scheme": guangzhou_policy.scheme_id})
    text = page_text(response)
    assert "投保方案" in text and "请选择列表中的投保方案。" in text
    assert "广州市小微企业出口信用保险统保方案" not in text
    assert client.get(URL, {"scheme": "x\u202e1", "format": "xlsx"})["Content-Type"].startswith("text/html")


def test_the_export_holds_the_same_figures_as_the_page(world, client):
    client.force_login(world.bureau)
    scheme = default_scheme(world.bureau)
    response = client.get(URL, {"format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = cells_of(response)
    assert rows[0] == ["投保方案", scheme.name]
    lines, total = county_rows(rows)
    policies = Policy.objects.visible_to(world.bureau).filter(scheme=scheme)
    for row in lines:
        assert row[3] == policies.filter(enterprise__region=row[0]).count()
    assert total[3] == policies.count()
    page = page_text(client.get(URL))
    assert f"合计 {total[2]} " in page


def test_loss_notices_count_under_their_county_and_scheme(world, client, insured):
    file(insured)
    client.force_login(world.bureau)
    lines, total = county_rows(cells_of(client.get(URL, {"scheme": insured.policy.scheme_id, "format": "xlsx"})))
    county = insured.policy.enterprise.region_id
    header = cells_of(client.get(URL, {"scheme": insured.policy.scheme_id, "format": "xlsx"}))[3]
    notices = header.index("报损数")
    assert {row[0]: row[notices] for row in lines}[county] == 1 and total[notices] == 1


def test_a_county_bureau_sees_and_exports_only_its_county(world, client):
    client.force_login(world.county)
    lines, _total = county_rows(cells_of(client.get(URL, {"format": "xlsx"})))
    assert [row[0] for row in lines] == ["441521"]
    text = page_text(client.get(URL)).split("统计分析", 2)[-1]
    for other in Region.objects.filter(code__in=["441502", "441523", "441581"]).values_list("name", flat=True):
        assert other not in text


@pytest.mark.parametrize("who", ["demo", "insurer"])
def test_nobody_but_a_bureau_or_the_administrator_gets_the_page_or_the_export(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "xlsx"}).status_code == 403


def test_the_old_address_leads_to_the_dashboard_with_its_filter(world, client):
    client.force_login(world.bureau)
    response = client.get("/insure/stats/", {"scheme": world.scheme.pk})
    assert response.status_code == 301 and response["Location"] == f"{URL}?scheme={world.scheme.pk}"


def test_the_tally_the_dashboard_reads_agrees_with_the_policies(world):
    assert tally.differences() == []


def test_a_policy_issued_shows_at_once_though_eligibility_is_cached(world, client, guangzhou_policy,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(world.admin)
    scheme = guangzhou_policy.scheme
    before = county_rows(cells_of(client.get(URL, {"scheme": scheme.pk, "format": "xlsx"})))[1]
    enterprise = Enterprise.objects.create(uscc=make_uscc("91", "440103", "12345678"), name="广州市第二示例外贸有限公司",
                                           region_id="440103")
    ExportRecord.objects.create(enterprise=enterprise, year=scheme.basis_year, export_usd=Decimal(50000))
    assert county_rows(cells_of(client.get(URL, {"scheme": scheme.pk, "format": "xlsx"})))[1][2] == before[2]  # cached
    with django_capture_on_commit_callbacks(execute=True):
        services.issue(world.other_insurer, scheme.pk, enterprise.pk, ip="127.0.0.1")
    after = county_rows(cells_of(client.get(URL, {"scheme": scheme.pk, "format": "xlsx"})))[1]
    assert (after[2], after[3], after[4]) == (before[2] + 1, before[3] + 1, before[4] + 1)  # eligible, issued, 待确认


def test_the_dashboard_the_ledger_and_a_funding_application_agree_to_the_cent(world):
    """One computation of all three: 统计分析's subsidy committed (the tally), the ledger's entries, and the
    applications the insurer can file for them, per payer, after policies take effect at an odd premium."""
    from singlewindow.subsidies import services as subsidies
    from singlewindow.subsidies.models import LedgerEntry
    from singlewindow.subsidies.tests.conftest import new_enterprise, take_effect

    Scheme.objects.filter(pk=world.scheme.pk).update(premium_fixed=Decimal("333.33"))  # 80 %: 266.664 → 266.66
    for region in ("441521", "441502", "441581"):
        policy = services.issue(world.insurer, world.scheme.pk, new_enterprise(region).pk)
        take_effect(world, policy)
    confirmed = Policy.objects.filter(scheme=world.scheme, status="confirmed").values_list("pk", flat=True)
    services.approve_many(world.insurer, list(confirmed))

    board = figures.dashboard(world.bureau, Scheme.objects.get(pk=world.scheme.pk))
    ledger = {payer: sum(LedgerEntry.objects.filter(scheme=world.scheme, payer=payer).values_list("amount", flat=True))
              for payer in ("province", "city")}
    today = timezone.localdate()
    applied = {payer: subsidies.create_application(
        world.insurer, scheme_id=world.scheme.pk, payer=key, period_start=dt.date(2000, 1, 1), period_end=today).total
        for payer, key in (("province", subsidies.payer_key("province", "440000")),
                           ("city", subsidies.payer_key("city", "441500")))}
    assert (board.total.province, board.total.city) == (ledger["province"], ledger["city"])
    assert (applied["province"], applied["city"]) == (ledger["province"], ledger["city"])
    assert board.total.province + board.total.city == board.total.premium
    assert board.total.province % Decimal("0.01") == 0 and ledger["province"] > 0


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=1, max_value=10**7))
def test_a_rate_is_shown_as_floatformat_1_shows_it(insured, eligible):
    """The county rows are written in Python (templatetags/dashboard.py): a rate rounds as the template's
    floatformat:1 did, half up, one decimal."""
    from django.template.defaultfilters import floatformat

    from singlewindow.bureaus.templatetags.dashboard import percent

    rate = insured * 100 / eligible
    assert percent(rate) == f"{floatformat(rate, 1)}%" and percent(None) == "—"
