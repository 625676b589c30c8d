"""名单公示: a bureau publishes its region's eligible enterprises for a period, objections are filed and answered,
the list is confirmed (or withdrawn); a scheme that requires it issues only to the confirmed list."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from singlewindow.audit.models import AuditEvent
from singlewindow.enterprises import eligibility
from singlewindow.enterprises import publication as services
from singlewindow.enterprises.models import Publication, PublicationEntry
from singlewindow.enterprises.tests.conftest import exporter  # noqa: F401 (fixture)
from singlewindow.enterprises.transitions import PUBLICATION
from singlewindow.machines import Refused
from singlewindow.policies import issuance
from singlewindow.policies.models import Policy, Scheme
from singlewindow.policies.tests.conftest import page_text

DAY = dt.timedelta(days=1)


def at(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


@pytest.fixture
def listed(world, exporter):  # noqa: F811
    """Three eligible enterprises of 海丰县 (the county bureau's) and one of 城区, then the county's list."""
    ours = [exporter(n, Decimal(1000 * n), region="441521") for n in range(1, 4)]
    exporter(9, Decimal(9000), region="441502")
    today = timezone.localdate()
    publication = services.publish(world.county, world.scheme.pk, starts_on=today, ends_on=today + 6 * DAY)
    return publication, ours


def test_the_list_is_the_regions_eligible_enterprises_as_they_stood(world, listed):
    publication, ours = listed
    on_list = set(publication.rows.values_list("enterprise", flat=True))
    assert {e.pk for e in ours} <= on_list
    assert all(code == "441521" for code in publication.rows.values_list("enterprise__region", flat=True))
    assert on_list == set(eligibility.eligible_records(world.scheme).filter(
        enterprise__region="441521").values_list("enterprise", flat=True))
    assert publication.entries == len(on_list)
    assert AuditEvent.objects.filter(action="publication.publish", object_id=str(publication.pk)).exists()


@pytest.mark.parametrize("days, start, field", [(3, 0, "ends_on"), (6, -1, "starts_on")])
def test_a_short_period_or_a_past_start_is_refused_naming_the_field(world, days, start, field):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.publish(world.county, world.scheme.pk, starts_on=today + start * DAY,
                         ends_on=today + start * DAY + days * DAY)
    assert field in refused.value.message_dict
    assert not Publication.objects.exists()


def test_a_region_publishes_one_live_list_per_scheme(world, listed):
    today = timezone.localdate()
    with pytest.raises(Refused, match="已公示过"):
        services.publish(world.county, world.scheme.pk, starts_on=today, ends_on=today + 6 * DAY)
    services.withdraw(world.county, listed[0].pk, reason="名单有误，重新公示。")
    assert services.publish(world.county, world.scheme.pk, starts_on=today, ends_on=today + 6 * DAY)


@pytest.mark.parametrize("reason, message", [
    ("", "请填写此项。"), ("因" * 501, "不能超过500个字。"), ("<b>撤回</b>", "不能包含 < > 等标记"),
])
def test_a_missing_long_or_marked_up_withdrawal_reason_is_refused_naming_it(world, listed, reason, message):
    publication, _ours = listed
    with pytest.raises(ValidationError) as refused:
        services.withdraw(world.county, publication.pk, reason=reason)
    assert message in refused.value.message_dict["reason"][0]
    assert Publication.objects.get(pk=publication.pk).status == Publication.Status.PUBLISHED


@pytest.mark.parametrize("who", ["demo", "insurer", "admin"])
def test_only_a_bureau_publishes(world, who):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.publish(getattr(world, who), world.scheme.pk, starts_on=today, ends_on=today + 6 * DAY)


def test_an_objection_is_answered_and_may_take_the_enterprise_off(world, listed):
    publication, ours = listed
    objection = services.object_to(world.county, publication.pk, text="该企业已注销。", objector="王先生",
                                   contact="13729230657", enterprise_id=ours[0].pk)
    with pytest.raises(Refused, match="尚有未处理的异议"):
        services.confirm(world.county, publication.pk, now=at(publication.ends_on + DAY))
    services.answer(world.county, publication.pk, objection.pk, answer="经核实属实，移出名单。", remove=True)
    assert PublicationEntry.objects.get(publication=publication, enterprise=ours[0]).removed
    with pytest.raises(Refused, match="已处理"):
        services.answer(world.county, publication.pk, objection.pk, answer="再次处理")


def test_objections_are_taken_only_in_the_period_inclusive(world, listed):
    publication, _ours = listed
    services.object_to(world.county, publication.pk, text="异议一", objector="甲", contact="1",
                       now=at(publication.ends_on))
    with pytest.raises(Refused, match="不在公示期内"):
        services.object_to(world.county, publication.pk, text="异议二", objector="乙", contact="1",
                           now=at(publication.ends_on + DAY))


def test_the_list_is_confirmed_only_after_its_last_day(world, listed):
    publication, _ours = listed
    with pytest.raises(Refused, match="期满后才能确认名单"):
        services.confirm(world.county, publication.pk, now=at(publication.ends_on))
    services.confirm(world.county, publication.pk, now=at(publication.ends_on + DAY))
    assert Publication.objects.get(pk=publication.pk).status == Publication.Status.CONFIRMED


@pytest.mark.parametrize("action, status", PUBLICATION.edges()[1])
def test_every_edge_not_in_the_table_is_refused(world, listed, action, status):
    publication, _ours = listed
    Publication.objects.filter(pk=publication.pk).update(status=status)
    mover = {"confirm": lambda: services.confirm(world.county, publication.pk, now=at(publication.ends_on + DAY)),
             "withdraw": lambda: services.withdraw(world.county, publication.pk, reason="撤回")}[action]
    with pytest.raises(Refused):
        mover()
    assert Publication.objects.get(pk=publication.pk).status == status


def test_another_countys_bureau_and_other_regions_enterprises_cannot_reach_it(world, listed, client):
    publication, _ours = listed
    other = Publication.objects.visible_to(world.demo)  # demo lies in 城区, the list is 海丰县's
    assert publication not in other
    with pytest.raises(Publication.DoesNotExist):
        services.object_to(world.demo, publication.pk, text="我有异议")
    client.force_login(world.demo)
    assert client.get(f"/enterprises/publications/{publication.pk}/").status_code == 404
    client.force_login(world.demo2)  # 海丰县: the list concerns it
    assert client.get(f"/enterprises/publications/{publication.pk}/").status_code == 200


def test_a_scheme_that_requires_it_issues_only_to_the_confirmed_list(world, listed):
    publication, ours = listed
    Scheme.objects.filter(pk=world.scheme.pk).update(publication_required=True)
    scheme = Scheme.objects.get(pk=world.scheme.pk)
    assert not eligibility.eligible_records(scheme).exists()
    verdict = eligibility.explain(ours[1], scheme)
    assert verdict.reason == "unpublished" and "公示并确认的企业名单" in verdict.message
    objection = services.object_to(world.county, publication.pk, text="已注销", objector="甲", contact="1",
                                   enterprise_id=ours[0].pk)
    services.answer(world.county, publication.pk, objection.pk, answer="移出", remove=True)
    services.confirm(world.county, publication.pk, now=at(publication.ends_on + DAY))
    assert eligibility.explain(ours[1], scheme).eligible
    issuance.start_issuance(world.insurer, scheme.pk)
    issued = set(Policy.objects.filter(scheme=scheme, enterprise__in=[e.pk for e in ours]).values_list(
        "enterprise", flat=True))
    assert issued == {ours[1].pk, ours[2].pk}  # not the one taken off, nor 城区's unpublished one


def test_the_pages_publish_object_answer_and_confirm(world, client, exporter):  # noqa: F811
    exporter(1, Decimal(1000), region="441521")
    client.force_login(world.county)
    today = timezone.localdate()
    response = client.post("/enterprises/publications/", {"scheme": world.scheme.pk, "starts_on": today,
                                                          "ends_on": today + 2 * DAY})
    assert response.status_code == 400 and "公示期不少于 5 天" in page_text(response)
    response = client.post("/enterprises/publications/", {"scheme": world.scheme.pk, "starts_on": today,
                                                          "ends_on": today + 6 * DAY, "note": "请核对。"})
    publication = Publication.objects.get()
    assert response["Location"] == f"/enterprises/publications/{publication.pk}/"
    client.force_login(world.demo2)
    text = page_text(client.get(response["Location"]))
    assert "公示中" in text and "测试出口企业001有限公司" in text and "******" in text
    response = client.post(f"/enterprises/publications/{publication.pk}/object/", {"text": ""})
    assert response.status_code == 400 and "异议内容" in page_text(response)
    client.post(f"/enterprises/publications/{publication.pk}/object/", {"text": "我司已于去年停止出口。"})
    objection = publication.objections.get()
    assert objection.enterprise_id == world.demo2.enterprise_id
    client.force_login(world.county)
    client.post(f"/enterprises/publications/{publication.pk}/objections/{objection.pk}/answer/",
                {"answer": "经核实，移出名单。", "remove": "on"})
    text = page_text(client.get(f"/enterprises/publications/{publication.pk}/"))
    assert "经核实，移出名单。" in text
    assert "期满后才能确认名单" not in text
    page = client.get(f"/enterprises/publications/{publication.pk}/confirm/")
    assert "确认后名单不能再修改" in page_text(page)
    client.post(f"/enterprises/publications/{publication.pk}/confirm/", {"checked": "1"}, follow=True)
    assert Publication.objects.get().status == Publication.Status.PUBLISHED  # the period is not over: refused
    client.force_login(world.bureau)  # the city bureau sees the county's list, but it is the county's to decide
    assert client.get(f"/enterprises/publications/{publication.pk}/").status_code == 200
    with pytest.raises(PermissionDenied):
        services.withdraw(world.bureau, publication.pk, reason="越权撤回")
    assert client.post(f"/enterprises/publications/{publication.pk}/withdraw/", {"reason": "越权"}).status_code == 403
