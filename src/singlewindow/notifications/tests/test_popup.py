"""The 通知 popup (/notices/popup/) and its dismissal (/notices/dismiss/) — over HTTP."""
from urllib.parse import urlencode

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from singlewindow.notifications import services
from singlewindow.policies.models import PolicyStatus
from singlewindow.policies.tests.conftest import confirm_as, page_text, refreshed


@pytest.fixture
def insurer_does(world, client_for, django_capture_on_commit_callbacks):
    """The insurer takes `action` on a policy through its workbench; the notices are written on commit."""
    insurer = client_for(world.insurer)

    def act(action, policy, reason="联系电话无法接通，请核实后重新确认。"):
        with django_capture_on_commit_callbacks(execute=True):
            response = insurer.post(f"/insurer/{policy.pk}/{action}/", {f"{action}-reason": reason, "checked": "1"})
        assert response.status_code == 302
        return refreshed(policy)

    return act


def popup(client):
    response = client.get("/notices/popup/")
    assert response.status_code == 200
    return response


def unread(user):
    return services.unread_count(user)


def test_the_popup_says_what_waits_and_links_to_that_tab_and_the_message_centre(world, client_for):
    response = popup(client_for(world.demo))
    assert page_text(response) == f"通知 您有 1 份“待确认”保单，点击查看 消息中心（{unread(world.demo)} 条未读）"
    assertContains(response, '<a href="/insure/?status=pending">')
    assertContains(response, '<a href="/notices/">')


def test_an_approval_is_listed_as_已生效_linking_to_the_policy(world, client_for, confirmed, insurer_does):
    demo = client_for(world.demo)
    insurer_does("approve", confirmed)
    response = popup(demo)
    assert f"保单 {confirmed.number}：已生效" in page_text(response)
    assertContains(response, f'<a href="/insure/{confirmed.pk}/">')


def test_a_return_is_listed_as_已退回_with_the_returned_tab(world, client_for, confirmed, insurer_does):
    demo = client_for(world.demo)
    insurer_does("return", confirmed)
    text = page_text(popup(demo))
    assert f"保单 {confirmed.number}：已退回" in text and "您有 1 份“已退回”保单，点击查看" in text


def test_a_policy_returned_then_approved_is_one_line_saying_where_it_stands_now(world, client_for, confirmed,
                                                                                  insurer_does):
    demo = client_for(world.demo)
    insurer_does("return", confirmed)
    confirm_as(world.demo, confirmed)
    insurer_does("approve", confirmed)
    text = page_text(popup(demo))
    assert text.count(confirmed.number) == 1 and f"保单 {confirmed.number}：已生效" in text
    assert "已退回" not in text


def test_dismissing_hides_the_popup_until_something_new_happens(world, client_for, confirmed, insurer_does):
    demo = client_for(world.demo)
    insurer_does("return", confirmed)
    assert f"保单 {confirmed.number}：已退回" in page_text(popup(demo))
    dismissed = demo.post("/notices/dismiss/")
    assert dismissed.status_code == 200 and page_text(dismissed) == ""
    assert page_text(popup(demo)) == ""
    assert demo.get("/notices/dismiss/").status_code == 405

    confirm_as(world.demo, confirmed)
    insurer_does("approve", confirmed)
    text = page_text(popup(demo))
    assert f"保单 {confirmed.number}：已生效" in text and "已退回" not in text


@pytest.mark.parametrize("who", ["insurer", "other_insurer", "bureau", "county", "admin"])
def test_it_refuses_everyone_but_enterprise_users(world, client, who):
    client.force_login(getattr(world, who))
    assert client.get("/notices/popup/").status_code == 403
    assert client.post("/notices/dismiss/").status_code == 403


def test_it_sends_anonymous_visitors_to_log_in(world, client):
    assertRedirects(client.get("/notices/popup/"), f"/login/?{urlencode({'next': '/notices/popup/'})}",
                    fetch_redirect_response=False)
    assert client.post("/notices/dismiss/").status_code == 302


def test_an_enterprise_never_sees_another_enterprises_events_or_counts(world, client_for, confirmed, insurer_does):
    demo, demo2 = client_for(world.demo), client_for(world.demo2)
    # load_demo returned this policy through the service, so its notice is there as in the running demo
    centre = f"消息中心（{unread(world.demo2)} 条未读）"
    assert page_text(popup(demo2)) == f"通知 保单 {world.returned.number}：已退回 您有 1 份“已退回”保单，点击查看 {centre}"
    insurer_does("approve", confirmed)
    insurer_does("cancel", world.returned, reason="企业已注销。")
    assert refreshed(world.returned).status == PolicyStatus.CANCELLED

    mine, theirs = popup(demo), popup(demo2)
    assert page_text(mine) == f"通知 保单 {confirmed.number}：已生效 消息中心（{unread(world.demo)} 条未读）"
    assert page_text(theirs) == f"通知 保单 {world.returned.number}：已撤销 消息中心（{unread(world.demo2)} 条未读）"
    assertNotContains(theirs, confirmed.number)
    assertNotContains(mine, world.returned.number)
