"""The pages: a bureau previews, confirms in a second step and sees the run; every other party is refused; another
county's bureau finds none of this county's records (404) and cannot reach its enterprises by a crafted POST;
forms say what is wrong, naming the field, and store nothing."""
import pytest
from django.urls import reverse

from singlewindow.notifications.models import Notice
from singlewindow.policies.tests.conftest import page_text
from singlewindow.reminders import services
from singlewindow.reminders.models import ReminderRecipient, ReminderRun, ReminderSchedule, ReminderTemplate

from .conftest import CHENGQU, HAIFENG, haifeng_pending, template_of


def form(world, template, **overrides):
    return {"scheme": world.scheme.pk, "county": HAIFENG, "statuses": ["pending"], "within_days": "",
            "template": template.pk, "channels": ["in_app", "sms", "email"], **overrides}


@pytest.fixture
def haifeng_run(world, send):
    template_of(world.county)  # the county's default first
    template = ReminderTemplate.objects.create(region_id=HAIFENG, name="海丰专用模板", subject="海丰专用提醒 {保单号}",
                                               body="{企业名称}：请确认投保。")
    return send(world.county, county=HAIFENG, template=template)


def object_urls(run, template, scheme):
    return [reverse("reminders:run", args=[run.pk]), reverse("reminders:resume", args=[run.pk]),
            reverse("reminders:template_edit", args=[template.pk]),
            reverse("reminders:schedule_edit", args=[scheme.pk])]


LIST_URLS = ["reminders:runs", "reminders:new", "reminders:templates", "reminders:template_new", "reminders:schedules"]


# --- who is refused ------------------------------------------------------------------------------

def test_a_visitor_is_sent_to_log_in(client, world, haifeng_run):
    for url in [*map(reverse, LIST_URLS), *object_urls(haifeng_run, template_of(world.county), world.scheme)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


@pytest.mark.parametrize("who", ["demo", "demo2", "insurer", "admin"])
def test_enterprises_insurers_and_the_administrator_are_refused_every_page(world, client_for, haifeng_run, who):
    client = client_for(getattr(world, who))
    for url in [*map(reverse, LIST_URLS), *object_urls(haifeng_run, template_of(world.county), world.scheme)]:
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, form(world, template_of(world.county), checked="1")).status_code == 403, url
    assert ReminderRun.objects.count() == 1


def test_another_countys_bureau_finds_none_of_haifengs_pages(world, client_for, chengqu_bureau, haifeng_run):
    client = client_for(chengqu_bureau)
    haifeng_template = template_of(world.county)
    for url in [reverse("reminders:run", args=[haifeng_run.pk]), reverse("reminders:resume", args=[haifeng_run.pk]),
                reverse("reminders:template_edit", args=[haifeng_template.pk]),
                reverse("reminders:schedule_edit", args=[world.scheme.pk])]:  # the city's scheme: the city's to set
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"name": "x", "subject": "x", "body": "x", "days": "3", "template":
                                 haifeng_template.pk, "channels": ["in_app"]}).status_code in (404, 405), url
    for name in LIST_URLS:
        text = page_text(client.get(reverse(name)))
        assert "海丰专用" not in text and "海丰县" not in text, name
    assert client.get(reverse("reminders:template_edit", args=[template_of(world.bureau).pk])).status_code == 404
    haifeng_template.refresh_from_db()
    assert haifeng_template.name == services.DEFAULT_TEMPLATE["name"]


def test_the_city_bureau_sees_the_countys_run_the_county_not_the_citys(world, client_for, send, haifeng_run):
    city_run = send(world.bureau, county=CHENGQU)
    city, county = client_for(world.bureau), client_for(world.county)
    assert city.get(reverse("reminders:run", args=[haifeng_run.pk])).status_code == 200
    assert county.get(reverse("reminders:run", args=[city_run.pk])).status_code == 404


def test_a_crafted_post_cannot_reach_another_countys_enterprises(world, client_for, chengqu_bureau):
    client = client_for(chengqu_bureau)
    template = template_of(chengqu_bureau)
    for extra in ({}, {"checked": "1"}):
        response = client.post(reverse("reminders:new"), form(world, template, county=HAIFENG, **extra))
        assert response.status_code == 400
        assert "县区：请从列表中选择县区。" in page_text(response)
    response = client.post(reverse("reminders:new"), form(world, template, county="", checked="1",
                                                          statuses=["pending", "returned"]))
    assert response.status_code == 302
    reached = ReminderRecipient.objects.filter(run__started_by=chengqu_bureau)
    assert set(reached.values_list("enterprise__region", flat=True)) == {CHENGQU}
    assert not Notice.objects.filter(kind=Notice.Kind.REMINDED, enterprise__region=HAIFENG).exists()


def test_a_county_bureau_cannot_send_a_template_it_does_not_see(world, client_for, chengqu_bureau):
    response = client_for(world.county).post(reverse("reminders:new"), form(
        world, template_of(chengqu_bureau), checked="1"))
    assert response.status_code == 400 and "提醒模板：请从列表中选择提醒模板。" in page_text(response)
    assert not ReminderRun.objects.exists()


# --- the journey on the server ---------------------------------------------------------------------

def test_preview_then_second_step_then_the_run_page(world, client_for):
    client = client_for(world.county)
    policy = haifeng_pending(world)
    template = template_of(world.county)
    preview = page_text(client.get(reverse("reminders:new"), form(world, template)))
    assert "符合条件的保单 1 份（1 家企业），将提醒 1 家企业。" in preview
    assert policy.enterprise.name in preview and policy.number in preview
    assert f"贵企业的出口信用保险保单 {policy.number} 尚待确认投保" in preview  # the words as it will read them
    check = client.post(reverse("reminders:new"), form(world, template))
    assert "将向 1 家企业发送提醒（站内通知、短信、电子邮件）" in page_text(check)
    assert not ReminderRun.objects.exists()
    done = client.post(reverse("reminders:new"), {**form(world, template), "checked": "1"}, follow=True)
    text = page_text(done)
    assert "提醒已发送：1 家企业，跳过 0 家。" in text
    assert "已提醒 1 家企业，跳过 0 家；提醒后已确认投保 0 家。" in text
    assert policy.enterprise.name in text and "已送达" in text and "未发送" in text
    again = client.post(reverse("reminders:new"), {**form(world, template), "checked": "1"}, follow=True)
    assert "没有需要提醒的企业" in page_text(again)
    assert ReminderRun.objects.count() == 1


def test_the_skipped_list_says_why(world, client_for, send, haifeng_run):
    again = send(world.county, statuses=["pending", "returned"], template=haifeng_run.template)
    text = page_text(client_for(world.county).get(reverse("reminders:run", args=[again.pk]), {"show": "skipped"}))
    assert haifeng_pending(world).enterprise.name in text and "该企业今日已收到同一提醒，不再重复发送。" in text
    assert "海丰县梅陇工艺品有限公司" not in text  # reached, not skipped


# --- forms --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ("您好 {公司}", "正文中的 {公司} 不是可用的占位符。"),
    ("请确认 {保单号", "正文中的大括号只能用于占位符"),
    ("a\x00b", "不能包含"),
    ("<script>x</script>", "不能包含"),
    ("", "请填写正文。"),
])
def test_a_bad_template_is_refused_naming_the_field_and_nothing_is_stored(world, client_for, body, message):
    client = client_for(world.county)
    template_of(world.county)
    count = ReminderTemplate.objects.count()
    response = client.post(reverse("reminders:template_new"), {"name": "新模板", "subject": "提醒 {保单号}",
                                                                "body": body})
    assert response.status_code == 400
    assert message in page_text(response) and "正文：" in page_text(response)
    assert ReminderTemplate.objects.count() == count


def test_a_bureau_writes_and_changes_its_template(world, client_for):
    client = client_for(world.county)
    response = client.post(reverse("reminders:template_new"), {
        "name": "最后提醒", "subject": "最后 {剩余天数} 天：{保单号}", "body": "{企业名称}，请尽快确认投保。"})
    assert response.status_code == 302
    template = ReminderTemplate.objects.get(name="最后提醒")
    assert template.region_id == HAIFENG
    duplicate = client.post(reverse("reminders:template_new"), {"name": "最后提醒", "subject": "x", "body": "y"})
    assert duplicate.status_code == 400 and "本区域已有名为“最后提醒”的模板" in page_text(duplicate)
    edit = client.get(reverse("reminders:template_edit", args=[template.pk]))
    assert "汕尾市示例进出口有限公司，请尽快确认投保。" in page_text(edit)


def test_the_city_bureau_sets_a_schemes_schedule_the_county_only_sees_it(world, client_for):
    city, county = client_for(world.bureau), client_for(world.county)
    url = reverse("reminders:schedule_edit", args=[world.scheme.pk])
    bad = city.post(url, {"days": "14,abc", "template": template_of(world.bureau).pk, "channels": ["in_app"],
                          "enabled": "on"})
    assert bad.status_code == 400 and "提前天数：提前天数请填写 0 至 366 的整数" in page_text(bad)
    assert city.post(url, {"days": "3，14", "template": template_of(world.bureau).pk,
                           "channels": ["in_app", "sms"], "enabled": "on"}).status_code == 302
    schedule = ReminderSchedule.objects.get(scheme=world.scheme)
    assert (schedule.days, schedule.offsets, schedule.channels) == ("14,3", [14, 3], ["in_app", "sms"])
    assert county.get(url).status_code == 404
    text = page_text(county.get(reverse("reminders:schedules")))
    assert "截止日前 14,3 天" in text and "由上级设置" in text


@pytest.mark.parametrize("field, value, message", [
    ("within_days", "abc", "确认截止日在几天内请填写整数。"),
    ("within_days", "9" * 40, "确认截止日在几天内"),
    ("statuses", ["effective"], "保单状态：请从列表中选择保单状态。"),
    ("scheme", "9" * 40, "投保方案：请从列表中选择投保方案。"),
    ("channels", [], "发送方式：请选择发送方式。"),
])
def test_a_bad_filter_is_refused_naming_the_field(world, client_for, field, value, message):
    client = client_for(world.county)
    data = {**form(world, template_of(world.county)), field: value}
    for response in (client.get(reverse("reminders:new"), data), client.post(reverse("reminders:new"), data)):
        assert response.status_code == 400 and message in page_text(response)
    assert not ReminderRun.objects.exists()
