"""The pages: each refuses another branch's insurer, another enterprise, a bureau and a visitor; forms never 500."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from singlewindow.alerts import services
from singlewindow.alerts.models import Alert, AlertRead
from singlewindow.notifications.models import Notice, NoticeRead
from singlewindow.policies.tests.conftest import page_text

from .conftest import CHENGQU, counties, countries

A = Alert.Audience


def insurer_urls(alert):
    return [reverse(name, args=[alert.pk]) for name in (
        "alerts:manage_detail", "alerts:edit", "alerts:publish", "alerts:withdraw")]


def enterprise_urls(alert):
    return [reverse("alerts:list"), reverse("alerts:archive"), reverse("alerts:detail", args=[alert.pk])]


def form_data(**overrides):
    today = timezone.localdate()
    return {"title": "美国对家具加征关税", "level": "medium", "kind": "industry", "body": "请关注美国买方付款能力。",
            "industries": "家具", "audience": "counties", "counties": [CHENGQU],
            "valid_from": today.isoformat(), "valid_until": (today + dt.timedelta(days=30)).isoformat(), **overrides}


# --- who is refused ------------------------------------------------------------------------------

def test_a_visitor_is_sent_to_log_in_from_every_page(client, published):
    for url in [*insurer_urls(published), *enterprise_urls(published), reverse("alerts:manage"),
                reverse("alerts:new"), reverse("alerts:country", args=["US"])]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.parametrize("who", ["bureau", "county", "admin"])
def test_a_bureau_and_the_administrator_are_refused_every_page(world, client_for, published, who):
    client = client_for(getattr(world, who))
    for url in [*insurer_urls(published), *enterprise_urls(published), reverse("alerts:manage"),
                reverse("alerts:new"), reverse("alerts:country", args=["US"])]:
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url).status_code in (403, 405), url


def test_another_branchs_insurer_finds_none_of_the_alerts_pages(world, client_for, published, draft):
    client = client_for(world.other_insurer)
    for alert in (published, draft()):
        for url in insurer_urls(alert):
            assert client.get(url).status_code in (404, 405), url
            assert client.post(url, {"reason": "x", "checked": "1"}).status_code in (404, 405), url
        assert alert.title not in page_text(client.get(reverse("alerts:manage")))
    published.refresh_from_db()
    assert published.status == Alert.Status.PUBLISHED


def test_an_enterprise_never_sees_an_alert_not_delivered_to_it(world, client_for, published):
    client = client_for(world.demo2)  # 海丰县: the alert went to 城区
    assert client.get(reverse("alerts:detail", args=[published.pk])).status_code == 404
    assert published.title not in page_text(client.get(reverse("alerts:list")))
    assert not AlertRead.objects.exists()


def test_an_enterprise_never_reaches_a_draft_nor_a_withdrawn_alert_it_was_not_sent(world, client_for, insured, draft,
                                                                                    published):
    demo, demo2 = client_for(world.demo), client_for(world.demo2)  # published went to 城区: demo, not demo2
    unsent = draft(kind=Alert.Kind.COUNTRY, countries=countries("AR"), title="草稿：阿根廷外汇管制")
    for client in (demo, demo2):
        assert client.get(reverse("alerts:detail", args=[unsent.pk])).status_code == 404
        assert "草稿：阿根廷外汇管制" not in page_text(client.get(reverse("alerts:country", args=["AR"])))
        assert "草稿：阿根廷外汇管制" not in page_text(client.get(reverse("alerts:list")))
    services.withdraw(world.insurer, published.pk, reason="信息有误。")
    assert demo2.get(reverse("alerts:detail", args=[published.pk])).status_code == 404
    assert demo.get(reverse("alerts:detail", args=[published.pk])).status_code == 200


# --- a withdrawn alert -----------------------------------------------------------------------

REASON = "数据来源有误，更正后将另行发布。"


def alert_notice(user, alert):
    return Notice.objects.get(enterprise=user.enterprise_id, kind=Notice.Kind.ALERT,
                              link=reverse("alerts:detail", args=[alert.pk]))


def test_a_withdrawn_alerts_notice_opens_a_page_saying_when_and_why_without_its_text(world, client_for, published):
    client = client_for(world.demo)
    services.withdraw(world.insurer, published.pk, reason=REASON)
    published.refresh_from_db()
    notice = alert_notice(world.demo, published)
    opened = client.post(reverse("notifications:open", args=[notice.pk]), follow=True)
    assert opened.status_code == 200
    text = page_text(opened)
    withdrawn_at = timezone.localtime(published.withdrawn_at).strftime("%Y-%m-%d %H:%M")
    assert "预警已撤回" in text and f"该预警已于 {withdrawn_at} 由发布机构撤回" in text
    assert published.title in text and f"撤回原因 {REASON}" in text
    assert published.body not in text and "预警内容" not in text
    assert not AlertRead.objects.filter(alert=published).exists()  # its text was not read
    assert NoticeRead.objects.filter(notice=notice, user=world.demo).exists()


def test_a_withdrawn_alert_leaves_the_list_its_count_and_the_country_page(world, client_for, insured, draft):
    title = "巴西雷亚尔大幅贬值"
    alert = services.publish(world.insurer, draft(kind=Alert.Kind.COUNTRY, countries=countries("BR"), title=title).pk)
    client = client_for(world.demo)
    before = client.get(reverse("alerts:list")).context["current_count"]
    assert title in page_text(client.get(reverse("alerts:list")))
    services.withdraw(world.insurer, alert.pk, reason=REASON)
    listed = client.get(reverse("alerts:list"))
    assert title not in page_text(listed) and listed.context["current_count"] == before - 1
    assert title not in page_text(client.get(reverse("alerts:archive")))
    assert title not in page_text(client.get(reverse("alerts:country", args=["BR"])))
    assert title not in page_text(client_for(world.insurer).get(reverse("alerts:country", args=["BR"])))


def test_a_withdrawn_alerts_notice_says_so_in_the_popup_and_the_centre_and_stays_unread(world, client_for,
                                                                                       published):
    client = client_for(world.demo)
    services.withdraw(world.insurer, published.pk, reason=REASON)
    line = f"风险预警：{published.title}（已撤回）"
    assert line in page_text(client.get(reverse("notifications:popup")))
    centre = page_text(client.get(reverse("notifications:center")))
    assert f"未读 {line}" in centre
    assert f"风险预警：{published.title} " not in centre.replace(line, "")  # no line of it calls it current


def test_the_insurer_is_told_the_reason_is_shown_to_the_enterprises(world, client_for, published):
    client = client_for(world.insurer)
    told = "收到该预警的企业打开其通知时，会看到撤回时间和撤回原因。"
    assert told in page_text(client.get(reverse("alerts:manage_detail", args=[published.pk])))
    check = client.post(reverse("alerts:withdraw", args=[published.pk]), {"reason": REASON})
    assert told in page_text(check)


def test_parties_are_refused_each_others_pages(world, client_for, published):
    enterprise, insurer = client_for(world.demo), client_for(world.insurer)
    for url in [*insurer_urls(published), reverse("alerts:manage"), reverse("alerts:new")]:
        assert enterprise.get(url).status_code in (403, 405), url
    for url in enterprise_urls(published):
        assert insurer.get(url).status_code == 403, url


# --- the enterprise's pages ----------------------------------------------------------------------

def test_the_enterprise_lists_it_unread_then_opening_it_leaves_a_receipt(world, client_for, published):
    client = client_for(world.demo)
    listed = page_text(client.get(reverse("alerts:list")))
    assert published.title in listed and "未读" in listed and "中风险" in listed
    detail = client.get(reverse("alerts:detail", args=[published.pk]))
    assert detail.status_code == 200 and published.body in page_text(detail)
    assert AlertRead.objects.filter(alert=published, user=world.demo).count() == 1
    client.get(reverse("alerts:detail", args=[published.pk]))
    assert AlertRead.objects.filter(alert=published, user=world.demo).count() == 1
    assert "未读" not in page_text(client.get(reverse("alerts:list")))


def test_an_expired_alert_is_in_the_archive(world, client_for, published):
    Alert.objects.filter(pk=published.pk).update(valid_from=timezone.localdate() - dt.timedelta(days=9),
                                                 valid_until=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(world.demo)
    assert published.title not in page_text(client.get(reverse("alerts:list")))
    assert published.title in page_text(client.get(reverse("alerts:archive")))
    assert "已过有效期" in page_text(client.get(reverse("alerts:detail", args=[published.pk])))


def test_the_country_page_shows_what_the_viewer_may_see(world, client_for, insured, draft):
    alert = draft(kind=Alert.Kind.COUNTRY, countries=countries("AR"), audience=A.COUNTIES, counties=counties(CHENGQU),
                  title="阿根廷外汇管制")
    services.publish(world.insurer, alert.pk)
    url = reverse("alerts:country", args=["ar"])
    assert "阿根廷外汇管制" in page_text(client_for(world.demo).get(url))
    assert "阿根廷外汇管制" in page_text(client_for(world.insurer).get(url))
    assert "阿根廷外汇管制" not in page_text(client_for(world.demo2).get(url))
    assert "阿根廷外汇管制" not in page_text(client_for(world.other_insurer).get(url))
    assert client_for(world.demo).get(reverse("alerts:country", args=["ZZ"])).status_code == 404
    assert client_for(world.demo).get("/alerts/countries/USA/").status_code == 404


def test_a_country_page_lists_only_the_alerts_about_that_country_each_once(world, client_for, insured, draft):
    """Two countries: an alert to the whole branch about the US is not under BR; one about both is under each once;
    a draft, a withdrawn alert and another county's alert are under neither; the past ones apart."""
    def publish(title, codes, **fields):
        return services.publish(world.insurer, draft(kind=Alert.Kind.COUNTRY, countries=countries(*codes),
                                                     title=title, **fields).pk)

    publish("巴西外汇管制", ["BR"])
    publish("美国加征关税", ["US"])
    publish("美巴两国航运延误", ["BR", "US"])
    publish("海丰县：巴西买方拖欠", ["BR"], audience=A.COUNTIES, counties=counties("441521"))
    services.withdraw(world.insurer, publish("撤回：巴西新规", ["BR"]).pk, reason="信息有误。")
    draft(kind=Alert.Kind.COUNTRY, countries=countries("BR", "US"), title="草稿：美巴贸易")
    past = publish("去年巴西预警", ["BR"])
    Alert.objects.filter(pk=past.pk).update(valid_from=timezone.localdate() - dt.timedelta(days=60),
                                            valid_until=timezone.localdate() - dt.timedelta(days=1))

    def titles(client, code):
        response = client.get(reverse("alerts:country", args=[code]))
        return ([a.title for a in response.context["current"]], [a.title for a in response.context["past"]])

    demo = client_for(world.demo)  # 城区
    assert titles(demo, "BR") == (["美巴两国航运延误", "巴西外汇管制"], ["去年巴西预警"])
    assert titles(demo, "US") == (["美巴两国航运延误", "美国加征关税"], [])
    assert titles(client_for(world.demo2), "BR") == (
        ["海丰县：巴西买方拖欠", "美巴两国航运延误", "巴西外汇管制"], ["去年巴西预警"])
    insurer = client_for(world.insurer)  # its own branch's published alerts, whoever they reached
    assert titles(insurer, "US") == (["美巴两国航运延误", "美国加征关税"], [])
    assert titles(insurer, "BR")[0] == ["海丰县：巴西买方拖欠", "美巴两国航运延误", "巴西外汇管制"]
    assert titles(client_for(world.other_insurer), "BR") == ([], [])
    text = page_text(demo.get(reverse("alerts:country", args=["US"])))
    assert text.count("美巴两国航运延误") == 1 and "巴西外汇管制" not in text and "草稿" not in text


def test_an_alert_is_listed_until_the_end_of_its_last_day_in_shanghai(world, client_for, published):
    from singlewindow.policies.tests.conftest import at

    last_day = timezone.localdate()
    Alert.objects.filter(pk=published.pk).update(valid_from=last_day - dt.timedelta(days=9), valid_until=last_day)
    shanghai = timezone.get_default_timezone()
    with at(dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=shanghai)):
        client = client_for(world.demo)  # logged in at the frozen moment: a session of its own time
        assert published.title in page_text(client.get(reverse("alerts:list")))
        assert published.title not in page_text(client.get(reverse("alerts:archive")))
        assert "已过有效期" not in page_text(client.get(reverse("alerts:detail", args=[published.pk])))
    with at(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=shanghai)):
        client = client_for(world.demo)
        assert published.title not in page_text(client.get(reverse("alerts:list")))
        assert published.title in page_text(client.get(reverse("alerts:archive")))
        assert "已过有效期" in page_text(client.get(reverse("alerts:detail", args=[published.pk])))


def test_an_alert_published_ahead_says_from_when_until_its_first_day_in_shanghai(world, client_for, insured, draft):
    from singlewindow.policies.tests.conftest import at

    first_day = timezone.localdate() + dt.timedelta(days=1)
    alert = services.publish(world.insurer, draft(valid_from=first_day, title="下月起欧盟新规").pk)
    shanghai = timezone.get_default_timezone()
    mark = f"{first_day.isoformat()} 起"
    with at(dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(23, 59), tzinfo=shanghai)):
        client = client_for(world.demo)  # logged in at the frozen moment: a session of its own time
        row = page_text(client.get(reverse("alerts:list"))).split("下月起欧盟新规")[1][:60]
        assert mark in row
        assert "尚未开始" in page_text(client.get(reverse("alerts:detail", args=[alert.pk])))
        assert "尚未开始" in page_text(client_for(world.insurer).get(reverse("alerts:manage_detail", args=[alert.pk])))
    with at(dt.datetime.combine(first_day, dt.time(0, 0), tzinfo=shanghai)):
        client = client_for(world.demo)
        assert mark not in page_text(client.get(reverse("alerts:list")))
        assert "尚未开始" not in page_text(client.get(reverse("alerts:detail", args=[alert.pk])))


def test_the_demos_exporter_finds_the_demo_alerts(world, client_for):
    from singlewindow.accounts.models import User

    client = client_for(User.objects.get(username="exporter"))
    current = page_text(client.get(reverse("alerts:list")))
    assert "阿根廷外汇管制收紧，买方付汇可能延迟" in current and "欧盟家具产品新规实施，关注买方拒收风险" in current
    assert "春节前后海运延误提示" in page_text(client.get(reverse("alerts:archive")))
    popup = page_text(client.get(reverse("notifications:popup")))
    assert "风险预警：阿根廷外汇管制收紧，买方付汇可能延迟" in popup
    assert "春节前后海运延误提示" not in popup  # two months old


# --- the insurer's pages -------------------------------------------------------------------------

def test_the_insurer_writes_previews_publishes_and_reads_the_receipts(world, client_for, insured):
    client = client_for(world.insurer)
    assert client.get(reverse("alerts:new")).status_code == 200
    response = client.post(reverse("alerts:new"), form_data(audience="branch", counties=[]))
    alert = Alert.objects.get(title="美国对家具加征关税")
    assert response.status_code == 302 and response["Location"] == reverse("alerts:manage_detail", args=[alert.pk])
    reach = services.targets(alert).count()
    assert reach > 1
    assert f"送达 {reach} 家参保企业" in page_text(client.get(response["Location"]))
    check = client.post(reverse("alerts:publish", args=[alert.pk]))
    assert check.status_code == 200 and "确认发布" in page_text(check) and world.demo.enterprise.name in page_text(check)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT  # the check page alone publishes nothing
    client.post(reverse("alerts:publish", args=[alert.pk]), {"checked": "1"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PUBLISHED and alert.deliveries.count() == reach
    client_for(world.demo).get(reverse("alerts:detail", args=[alert.pk]))
    text = page_text(client.get(reverse("alerts:manage_detail", args=[alert.pk])))
    assert f"送达 {reach} 家企业，已读 1 家，未读 {reach - 1} 家" in text
    assert f"{world.demo} 于" in text and "未读企业" in text
    assert "1 / " in page_text(client.get(reverse("alerts:manage")))


def test_a_second_publish_says_already_done(world, client_for, published):
    response = client_for(world.insurer).post(reverse("alerts:publish", args=[published.pk]), {"checked": "1"},
                                              follow=True)
    assert "无需重复操作" in page_text(response)


def test_the_insurer_edits_a_draft_but_not_a_published_alert(world, client_for, published, draft):
    client = client_for(world.insurer)
    alert = draft()
    response = client.post(reverse("alerts:edit", args=[alert.pk]), form_data(title="改过的标题"))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.title == "改过的标题" and list(alert.counties.values_list("pk", flat=True)) == [CHENGQU]
    response = client.post(reverse("alerts:edit", args=[published.pk]), form_data(title="不能改"), follow=True)
    assert "只有草稿可以修改" in page_text(response)
    published.refresh_from_db()
    assert published.title != "不能改"


def test_withdrawing_takes_a_reason_and_a_second_step(world, client_for, published):
    client = client_for(world.insurer)
    url = reverse("alerts:withdraw", args=[published.pk])
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400 and "请填写撤回原因" in page_text(missing)
    check = client.post(url, {"reason": "信息有误，将重新发布。"})
    assert check.status_code == 200 and "确认撤回" in page_text(check)
    published.refresh_from_db()
    assert published.status == Alert.Status.PUBLISHED
    client.post(url, {"reason": "信息有误，将重新发布。", "checked": "1"})
    published.refresh_from_db()
    assert (published.status, published.withdraw_reason) == ("withdrawn", "信息有误，将重新发布。")


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": ""}, "title", "请填写标题。"),
    ({"title": "题" * 101}, "title", "标题不能超过 100 个字。"),
    ({"title": "a\x00b"}, "title", None),
    ({"body": "<script>"}, "body", "不能包含"),
    ({"body": "=1+1"}, "body", "不能以"),
    ({"level": "extreme"}, "level", "请从列表中选择风险等级。"),
    ({"valid_until": "2026-13-45"}, "valid_until", "格式不正确"),
    ({"valid_until": "1999-01-01"}, "valid_until", "有效期止不能早于有效期起。"),
    ({"counties": ["440103"]}, "counties", "请从列表中选择指定区县。"),
    ({"counties": []}, "counties", "请选择指定区县"),
    ({"buyers": ["abc"]}, "buyers", "请从列表中选择涉及买方。"),
    ({"buyers": ["9" * 30]}, "buyers", "请从列表中选择涉及买方。"),
    ({"buyers": ["999999"]}, "buyers", "请从列表中选择涉及买方。"),
    ({"countries": ["XX"]}, "countries", "请从列表中选择涉及国家（地区）。"),
    ({"countries": ["\x00"]}, "countries", None),
    ({"kind": "country", "countries": []}, "countries", "国别风险预警请选择涉及国家（地区）。"),
    ({"industries": "业" * 100_000}, "industries", "涉及行业不能超过 200 个字。"),
])
def test_a_wrong_form_is_refused_naming_the_field_never_a_500(world, client_for, overrides, field, message):
    before = Alert.objects.count()
    response = client_for(world.insurer).post(reverse("alerts:new"), form_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert any(message in error for error in errors[field]), errors[field]
    # Counted, not looked up by title: PostgreSQL refuses a query with the NUL the form refused.
    assert Alert.objects.count() == before


def test_another_branchs_buyer_cannot_be_named(world, client_for, buyers):
    response = client_for(world.other_insurer).post(reverse("alerts:new"), form_data(
        kind="buyer", audience="buyer", buyers=[buyers["acme"].pk], counties=[]))
    assert response.status_code == 400 and "buyers" in response.context["form"].errors


@pytest.mark.parametrize("pk", ["0", "99999999999999999999"])
def test_bad_ids_are_not_found(world, client_for, pk):
    client = client_for(world.insurer)
    assert client.get(f"/alerts/manage/{pk}/").status_code == 404
    assert client_for(world.demo).get(f"/alerts/{pk}/").status_code == 404
