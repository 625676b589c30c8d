"""消息中心 (/notices/): every notice of the enterprise, read and unread per user; the popup's refresh signal."""
import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from singlewindow.notifications import services
from singlewindow.notifications.models import Notice
from singlewindow.notifications.views import CHANGED_EVENT
from singlewindow.policies import services as policies
from singlewindow.policies.tests.conftest import page_text

REASON = "联系电话无法接通，请核实后重新确认。"


def test_it_lists_every_notice_of_the_enterprise_even_after_the_popup_was_dismissed(world, client_for, confirmed):
    demo = client_for(world.demo)
    policies.return_policy(world.insurer, confirmed.pk, reason=REASON)
    demo.post("/notices/dismiss/")
    text = page_text(demo.get("/notices/"))
    assert "消息中心" in text and f"保单被退回 {confirmed.number} 已退回" in text
    assert f"全部标为已读（{services.unread_count(world.demo)} 条未读）" in text


def test_opening_a_notice_marks_it_read_for_that_user_only_and_shows_the_policy(world, client_for, confirmed):
    policies.approve(world.insurer, confirmed.pk)
    notice = Notice.objects.get(policy=confirmed, kind=Notice.Kind.APPROVED)
    before = services.unread_count(world.demo)
    response = client_for(world.demo).post(f"/notices/{notice.pk}/open/")
    assertRedirects(response, f"/insure/{confirmed.pk}/", fetch_redirect_response=False)
    assert services.unread_count(world.demo) == before - 1
    assert services.unread_count(world.colleague) == before  # a colleague has not read it
    client_for(world.demo).post(f"/notices/{notice.pk}/open/")  # twice is once
    assert services.unread_count(world.demo) == before - 1


def test_mark_all_read(world, client_for):
    demo = client_for(world.demo)
    assert services.unread_count(world.demo) > 0
    assertRedirects(demo.post("/notices/read-all/"), "/notices/", fetch_redirect_response=False)
    assert services.unread_count(world.demo) == 0
    assertNotContains(demo.get("/notices/"), "全部标为已读")


def test_another_enterprise_sees_none_of_its_notices_and_cannot_open_them(world, client_for, confirmed):
    policies.approve(world.insurer, confirmed.pk)
    notice = Notice.objects.get(policy=confirmed, kind=Notice.Kind.APPROVED)
    other = client_for(world.demo2)
    assertNotContains(other.get("/notices/"), confirmed.number)
    assert other.post(f"/notices/{notice.pk}/open/").status_code == 404
    assert not notice.reads.exists()


@pytest.mark.parametrize("who", ["insurer", "other_insurer", "bureau", "county", "admin"])
def test_it_refuses_everyone_but_enterprise_users(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get("/notices/").status_code == 403
    assert client.post("/notices/read-all/").status_code == 403
    assert client.post(f"/notices/{Notice.objects.first().pk}/open/").status_code == 403


def test_opening_takes_a_post(world, client_for):
    notice = Notice.objects.filter(enterprise=world.demo.enterprise).first()
    assert client_for(world.demo).get(f"/notices/{notice.pk}/open/").status_code == 405


def test_the_popup_asks_the_page_to_reload_its_list_when_a_notice_arrived_since_it_looked(world, client_for,
                                                                                         confirmed):
    demo = client_for(world.demo)
    seen = services.latest_notice_id(world.demo)
    assert CHANGED_EVENT not in demo.get("/notices/popup/", {"seen": seen}).headers.get("HX-Trigger", "")
    policies.approve(world.insurer, confirmed.pk)
    response = demo.get("/notices/popup/", {"seen": seen})
    assert response.headers["HX-Trigger"] == CHANGED_EVENT
    assertContains(response, f'name="seen" value="{services.latest_notice_id(world.demo)}"')
    for odd in ["", "abc", "١٢", "-1\x00"]:  # never seen, or not a number: no signal, no error
        assert "HX-Trigger" not in demo.get("/notices/popup/", {"seen": odd}).headers
