"""统计分析 (issue 11 #10): a total row, a scheme filter, and an Excel export with the page's own figures."""
import io

import pytest
from openpyxl import load_workbook

from singlewindow.policies.models import Policy, PolicyStatus, Scheme
from singlewindow.policies.tests.conftest import page_text


def cells_of(response):
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_table_ends_with_a_total_row_and_its_confirmation_rate(world, client):
    client.force_login(world.bureau)
    text = page_text(client.get("/insure/stats/"))
    policies = Policy.objects.visible_to(world.bureau)
    counts = [policies.filter(status=s).count() for s in PolicyStatus]
    taken = policies.filter(status__in=["confirmed", "effective", "expired"]).count()
    total = " ".join(map(str, counts))
    assert f"合计 {total} {sum(counts)} {taken * 100 / sum(counts):.1f}%" in text


def test_a_scheme_filter_counts_only_that_schemes_policies(world, client):
    other = Scheme.objects.get(pk=world.scheme.pk)
    other.pk, other.name = None, "汕尾市第二期统保方案"
    other.save()
    Policy.objects.filter(pk=world.pending.pk).update(scheme=other)
    client.force_login(world.bureau)
    text = page_text(client.get("/insure/stats/", {"scheme": other.pk}))
    assert "汕尾市第二期统保方案" in text
    assert "合计 1 0 0 0 0 0 0 0 1 0.0%" in text


def test_a_scheme_the_bureau_cannot_see_is_refused_with_the_fields_name(world, client, guangzhou_policy):
    client.force_login(world.county)
    response = client.get("/insure/stats/", {"scheme": guangzhou_policy.scheme_id})
    text = page_text(response)
    assert "投保方案" in text and "请选择列表中的投保方案。" in text
    assert "广州市小微企业出口信用保险统保方案" not in text
    assert client.get("/insure/stats/", {"scheme": "x\u202e1", "format": "xlsx"})["Content-Type"].startswith("text/html")


def test_the_export_holds_the_same_figures_as_the_page(world, client):
    client.force_login(world.bureau)
    response = client.get("/insure/stats/", {"format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = cells_of(response)
    assert rows[0] == ["投保方案", "全部方案"]
    assert rows[1][:2] == ["县区代码", "县区"] and rows[1][-2:] == ["合计", "确认率（%）"]
    by_code = {row[0]: row for row in rows[2:-1]}
    policies = Policy.objects.visible_to(world.bureau)
    for code, row in by_code.items():
        assert row[-2] == policies.filter(enterprise__region=code).count()
    assert rows[-1][1] == "合计" and rows[-1][-2] == policies.count()


@pytest.mark.parametrize("who", ["demo", "insurer"])
def test_nobody_but_a_bureau_or_the_administrator_gets_the_export(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get("/insure/stats/", {"format": "xlsx"}).status_code == 403


def test_a_county_bureaus_export_holds_only_its_county(world, client):
    client.force_login(world.county)
    rows = cells_of(client.get("/insure/stats/", {"format": "xlsx"}))
    assert [row[0] for row in rows[2:-1]] == ["441521"]
