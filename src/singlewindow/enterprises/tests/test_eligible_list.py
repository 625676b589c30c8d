"""符合条件企业 at scale: counts from the tally and the cached count (equal to a recount after every move), the
list paged by USCC forward and back with its filters kept, no COUNT on a view once counted, nobody else's rows."""
import re
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from singlewindow.accounts.scopes import enterprise_scope
from singlewindow.enterprises import eligibility, eligible_list
from singlewindow.policies import services
from singlewindow.policies.tests.conftest import confirm_as, page_text

from .conftest import CITY, HAIFENG

URL = "/enterprises/eligible/"
COUNT_ROW = re.compile(r'county=(\d{6})"[^>]*>[^<]*</a>.*?</th><td class="text-end">(\d+)</td><td class="text-end">(\d+)</td>')


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(eligible_list, "PAGE_SIZE", 4)


def link(response, rel):
    found = re.search(rf'href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return unescape(found.group(1)) if found else None


def usccs(response):
    table = response.content.decode().split('id="eligible-list"', 1)[1]
    return re.findall(r'<td class="font-monospace">([0-9A-Z]{18})</td>', table)


def walk(client, first, rel):
    """The USCCs of every page from `first`, following the `rel` link, page by page."""
    pages, response = [], first
    while True:
        assert response.status_code == 200
        pages.append(usccs(response))
        query = link(response, rel)
        if query is None:
            return pages, response
        response = client.get(f"{URL}?{query}")


def eligible_usccs(user, scheme, county=None):
    records = eligibility.eligible_records(scheme).filter(enterprise_scope(user))
    if county:
        records = records.filter(enterprise__region=county)
    return list(records.order_by("enterprise__uscc").values_list("enterprise__uscc", flat=True))


def test_the_list_pages_forward_and_back_by_uscc_with_the_scheme_and_county_kept(world, client, exporter, small_pages):
    for n in range(1, 15):
        exporter(n, Decimal(100 * n), region=HAIFENG if n % 3 else CITY)
    client.force_login(world.bureau)
    first = client.get(URL, {"scheme": world.scheme.pk, "county": HAIFENG})
    forward, last = walk(client, first, "next")
    expected = eligible_usccs(world.bureau, world.scheme, HAIFENG)
    assert len(expected) > 8 and [u for page in forward for u in page] == expected
    assert all(len(page) == 4 for page in forward[:-1]) and len(forward) > 2
    assert link(first, "prev") is None and link(last, "next") is None
    back, top = walk(client, last, "prev")
    assert back[::-1] == forward and usccs(top) == usccs(first)
    for query in (link(first, "next"), link(last, "prev")):
        assert f"scheme={world.scheme.pk}" in query and f"county={HAIFENG}" in query
    assert "海丰县" in page_text(last) and "上一页" in page_text(last) and "第一页" in page_text(last)


def test_the_whole_region_pages_in_uscc_order_without_a_page_count(world, client, exporter, small_pages):
    for n in range(1, 8):
        exporter(n, Decimal(100 * n), region=HAIFENG if n % 2 else CITY)
    client.force_login(world.bureau)
    forward, _last = walk(client, client.get(URL), "next")
    assert [u for page in forward for u in page] == eligible_usccs(world.bureau, world.scheme)
    assert " / " not in page_text(client.get(URL)).split("符合条件、尚未出单的企业 ·", 1)[1]


def test_a_page_key_that_is_not_a_uscc_is_refused_with_a_message(world, client):
    client.force_login(world.bureau)
    for name in ("after", "before"):
        response = client.get(URL, {name: "'; drop table x"})
        assert response.status_code == 400 and "翻页参数无效，请从第一页重新查看。" in page_text(response)


def counts_shown(response):
    table = response.content.decode().split('id="county-counts"', 1)[1].split("</table>", 1)[0]
    return [(code, int(waiting), int(issued)) for code, waiting, issued in COUNT_ROW.findall(table)]


def recount(user, scheme):
    return eligibility.counts_by_county(scheme, enterprise_scope(user))


def test_the_counts_equal_a_recount_after_issue_confirm_approve_and_cancel(
        world, client, exporter, another_scheme, django_capture_on_commit_callbacks):
    newcomer = exporter(1, Decimal(100), region=HAIFENG)
    exporter(2, Decimal(200), region=CITY)
    overlapping = another_scheme()
    readers = (world.bureau, world.county, world.admin, world.insurer)
    steps = {
        "issue": lambda: services.issue(world.insurer, world.scheme.pk, newcomer.pk),
        "confirm": lambda: confirm_as(world.demo, world.pending),
        "approve": lambda: services.approve(world.insurer, world.pending.pk),
        "cancel": lambda: services.cancel(world.insurer, world.pending.pk, reason="企业已注销，保单撤销。"),
    }
    seen = []
    for step, act in [("before", None), *steps.items()]:
        if act is not None:
            with django_capture_on_commit_callbacks(execute=True):
                act()
        for user in readers:
            client.force_login(user)
            for scheme in (world.scheme, overlapping):
                shown = counts_shown(client.get(URL, {"scheme": scheme.pk}))
                assert shown == recount(user, scheme), (step, user.username, scheme.name)
                seen.append(shown)
    assert len({tuple(shown) for shown in seen}) > 4  # the moves did change what the page shows


def test_a_view_of_counted_figures_asks_no_count(world, client, exporter, small_pages):
    for n in range(1, 7):
        exporter(n, Decimal(100 * n), region=HAIFENG)
    client.force_login(world.bureau)
    client.get(URL, {"county": HAIFENG})  # counts the waiting enterprises once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"county": HAIFENG, "after": usccs(client.get(URL, {"county": HAIFENG}))[-1]})
    assert response.status_code == 200 and usccs(response)
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert "符合条件企业数计算于" in page_text(response)


def test_another_party_sees_none_of_the_regions_enterprises(world, client, exporter):
    exporter(1, Decimal(100), region=CITY)
    theirs = exporter(2, Decimal(100), region=HAIFENG)
    client.force_login(world.county)  # 海丰县's bureau: not 城区's, even when it asks for 城区
    response = client.get(URL, {"county": CITY})
    assert response.status_code == 200 and usccs(response) == [] and [c for c, *_ in counts_shown(response)] == [HAIFENG]
    client.force_login(world.other_insurer)  # 广州's branch serves none of 汕尾
    response = client.get(URL, {"scheme": world.scheme.pk, "after": "0"})
    assert response.status_code == 200 and theirs.uscc not in response.content.decode()
    assert "海丰县" not in page_text(response)
    client.force_login(world.demo)
    assert client.get(URL, {"county": HAIFENG}).status_code == 403
