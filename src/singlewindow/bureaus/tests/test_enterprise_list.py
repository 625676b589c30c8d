"""企业名单: the bureau's enterprises of one scheme, filtered by county, policy status and eligibility,
searched by name or USCC, paged by key, and exported with the contacts the enterprises gave."""
import io

import pytest
from openpyxl import load_workbook

from singlewindow.bureaus import roster
from singlewindow.bureaus.figures import default_scheme
from singlewindow.enterprises.eligibility import eligible_records
from singlewindow.enterprises.models import Enterprise
from singlewindow.policies.models import Policy
from singlewindow.policies.tests.conftest import confirm_as, page_text

URL = "/bureau/enterprises/"


def usccs_on(response):
    assert response.status_code == 200, page_text(response)
    return [row.uscc for row in response.context["rows"]]


def export_rows(response):
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)][2:]


def in_region(user, scheme):
    return Enterprise.objects.visible_to(user).filter(region__code__startswith=scheme.region.prefix)


def test_a_county_bureau_lists_and_exports_only_its_county(world, client):
    client.force_login(world.county)
    scheme = default_scheme(world.county)
    shown = usccs_on(client.get(URL))
    assert shown and set(shown) == set(in_region(world.county, scheme).values_list("uscc", flat=True))
    assert {e.region_id for e in Enterprise.objects.filter(uscc__in=shown)} == {"441521"}
    exported = export_rows(client.get(URL, {"format": "xlsx"}))
    assert {row[2] for row in exported} == {"441521"} and len(exported) == len(shown)


def test_a_county_outside_the_bureaus_region_is_refused_naming_the_field(world, client):
    client.force_login(world.county)
    response = client.get(URL, {"county": "441502"})
    assert response.status_code == 400
    assert "县区" in page_text(response) and "请选择辖区内的县区。" in page_text(response)
    assert client.get(URL, {"county": "441502", "format": "xlsx"})["Content-Type"].startswith("text/html")


def test_the_city_bureau_narrows_to_one_county(world, client):
    client.force_login(world.bureau)
    everyone = usccs_on(client.get(URL))
    in_county = usccs_on(client.get(URL, {"county": "441523"}))
    assert set(in_county) < set(everyone)
    assert set(in_county) == set(Enterprise.objects.filter(region="441523").values_list("uscc", flat=True))


def test_the_status_filter_lists_the_policies_in_that_status_or_none(world, client):
    client.force_login(world.bureau)
    scheme = default_scheme(world.bureau)
    policies = Policy.objects.visible_to(world.bureau).filter(scheme=scheme)
    pending = usccs_on(client.get(URL, {"status": "pending"}))
    assert set(pending) == set(policies.filter(status="pending").values_list("enterprise__uscc", flat=True))
    none = usccs_on(client.get(URL, {"status": "none"}))
    assert none and not set(none) & set(policies.values_list("enterprise__uscc", flat=True))


def test_eligibility_is_the_schemes_rule_with_its_own_policies_counted_in(world, client):
    client.force_login(world.bureau)
    scheme = default_scheme(world.bureau)
    yes = set(usccs_on(client.get(URL, {"eligibility": "yes", "status": "none"})))
    assert yes == set(eligible_records(scheme).filter(
        enterprise__in=in_region(world.bureau, scheme)).values_list("enterprise__uscc", flat=True))
    no = set(usccs_on(client.get(URL, {"eligibility": "no"})))
    assert not yes & no
    marked = {row.uscc: row.eligible for row in client.get(URL).context["rows"]}
    assert {uscc for uscc, eligible in marked.items() if eligible} == set(marked) - no  # the page's own column
    exported = {row[0]: row[5] for row in export_rows(client.get(URL, {"format": "xlsx"}))}
    assert {uscc for uscc, label in exported.items() if label == "符合条件"} == set(exported) - no
    assert yes | no | set(usccs_on(client.get(URL, {"eligibility": "yes"}))) == set(usccs_on(client.get(URL)))


def test_search_by_part_of_the_name_or_the_uscc_as_people_type_it(world, client):
    client.force_login(world.bureau)
    enterprise = world.demo.enterprise
    assert usccs_on(client.get(URL, {"q": enterprise.name[3:8]})) == [enterprise.uscc]
    typed = f"{enterprise.uscc[:4].lower()} {enterprise.uscc[4:12]}-"
    assert enterprise.uscc in usccs_on(client.get(URL, {"q": typed}))
    assert usccs_on(client.get(URL, {"q": "没有这样的企业"})) == []
    assert "没有符合筛选条件的企业。" in page_text(client.get(URL, {"q": "没有这样的企业"}))


def test_pages_walk_every_enterprise_once_in_uscc_order(world, client, monkeypatch):
    monkeypatch.setattr(roster, "PAGE_SIZE", 3)
    client.force_login(world.bureau)
    seen, after = [], ""
    for _page in range(100):
        response = client.get(URL, {"after": after} if after else {})
        seen += usccs_on(response)
        after = response.context["next_after"]
        if not after:
            break
        assert f"after={after}" in response.content.decode()
    scheme = default_scheme(world.bureau)
    assert seen == sorted(in_region(world.bureau, scheme).values_list("uscc", flat=True))
    assert len(seen) > 6


def test_the_export_carries_the_contacts_the_enterprise_gave_with_formulas_neutralised(world, client):
    confirm_as(world.demo, world.pending)
    Enterprise.objects.filter(pk=world.demo2.enterprise_id).update(name="=HYPERLINK(\"http://x\")")
    client.force_login(world.bureau)
    rows = {row[0]: row for row in export_rows(client.get(URL, {"format": "xlsx", "scheme": world.pending.scheme_id}))}
    policy = Policy.objects.get(pk=world.pending.pk)
    mine = rows[world.demo.enterprise.uscc]
    assert mine[6:10] == [policy.number, "审批中", policy.contact_name, policy.contact_phone]
    assert rows[world.demo2.enterprise.uscc][1].startswith("'=")


@pytest.mark.parametrize("params, field, message", [
    ({"status": "approved"}, "保单状态", "请选择列表中的保单状态。"),
    ({"eligibility": "maybe"}, "资格", "请选择列表中的资格。"),
    ({"after": "../etc"}, "", "翻页参数无效，请从第一页重新查看。"),
    ({"q": "<script>"}, "企业名称或统一社会信用代码", "不能包含 < > 等标记"),
    ({"q": "甲" * 101}, "企业名称或统一社会信用代码", "100"),
])
def test_a_bad_filter_is_refused_naming_its_field_and_lists_nothing(world, client, params, field, message):
    client.force_login(world.bureau)
    response = client.get(URL, params)
    assert response.status_code == 400 and response.context["rows"] == []
    text = page_text(response)
    assert field in text and message in text
    assert client.get(URL, {**params, "format": "xlsx"})["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("who", ["demo", "insurer"])
def test_nobody_but_a_bureau_or_the_administrator_gets_the_list_or_its_export(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"format": "xlsx"}).status_code == 403


def test_the_administrator_sees_every_region(world, client):
    client.force_login(world.admin)
    scheme = default_scheme(world.admin)
    assert set(usccs_on(client.get(URL, {"scheme": scheme.pk}))) == set(
        Enterprise.objects.filter(region__code__startswith=scheme.region.prefix).values_list("uscc", flat=True))
