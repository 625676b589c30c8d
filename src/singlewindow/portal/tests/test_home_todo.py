"""The home page after login shows the party's 待办事项, counted in its own scope (issue 11 #8)."""
from pytest_django.asserts import assertNotContains

from singlewindow.policies import services
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.tests.conftest import confirm_as, page_text


def test_a_visitor_reads_the_steps_of_the_notice(db, client):
    text = page_text(client.get("/"))
    assert "登录“单一窗口”（卡介质或账号密码）。" in text and "待办事项" not in text


def test_an_enterprise_sees_its_pending_policy_and_deadline_instead_of_step_one(world, client):
    client.force_login(world.demo)
    text = page_text(client.get("/"))
    deadline = world.pending.scheme.confirm_deadline
    assert f"待办 1 份待确认保单，截止 {deadline:%Y-%m-%d}（含当日） 去办理" in text
    assert "登录“单一窗口”（卡介质或账号密码）。" not in text
    assert '/insure/?status=pending' in client.get("/").content.decode()


def test_after_confirming_the_to_do_says_it_waits_for_the_insurer(world, client):
    confirm_as(world.demo, world.pending)
    client.force_login(world.demo)
    text = page_text(client.get("/"))
    assert "待确认保单" not in text
    assert "1 份保单审批中，等待保险公司审批 查看" in text


def test_the_to_do_counts_only_the_enterprises_own_policies(world, client):
    client.force_login(world.demo2)
    own = Policy.objects.filter(enterprise=world.demo2.enterprise)
    text = page_text(client.get("/"))
    returned = own.filter(status=PolicyStatus.RETURNED).count()
    assert f"{returned} 份保单被保险公司退回" in text
    deadline = min(own.filter(status=PolicyStatus.RETURNED).values_list("scheme__confirm_deadline", flat=True))
    assert f"重新确认投保，截止 {deadline:%Y-%m-%d}（含当日）" in text  # a returned policy lapses on it too
    pending = own.filter(status=PolicyStatus.PENDING).count()
    assert ("份待确认保单" in text) == bool(pending)


def test_an_enterprise_with_nothing_to_do_is_told_so(world, client):
    services.decline(world.demo, world.pending.pk, reason="企业已另行投保。", ip=None)
    client.force_login(world.demo)
    assert "暂无需要办理的事项。" in page_text(client.get("/"))


def test_the_insurer_sees_the_confirmations_waiting_for_its_approval(world, client):
    confirm_as(world.demo, world.pending)
    client.force_login(world.insurer)
    waiting = Policy.objects.visible_to(world.insurer).filter(status=PolicyStatus.CONFIRMED).count()
    text = page_text(client.get("/"))
    assert f"{waiting} 份保单待审批 去办理" in text


def test_another_branch_is_not_told_of_our_confirmations(world, client):
    confirm_as(world.demo, world.pending)
    client.force_login(world.other_insurer)
    response = client.get("/")
    theirs = Policy.objects.visible_to(world.other_insurer).filter(status=PolicyStatus.CONFIRMED).count()
    text = page_text(response)
    assert (f"{theirs} 份保单待审批" in text) if theirs else ("份保单待审批" not in text)
    assertNotContains(response, world.pending.number)


def test_the_faq_covers_the_policy_itself(db, client):
    text = page_text(client.get("/help/"))
    for question in ["保单保障什么？需要企业交保费吗？", "确认投保后多久生效？",
                     "“已退回”“已放弃”“已撤销”“已过期”“已到期”是什么意思？", "发生损失或买方拖欠货款怎么办？"]:
        assert question in text
    assert "保单生效时间以保险公司审批为准" in text and "确认截止日（含当日）前没有确认投保" in text


def test_the_faq_answers_the_control_we_ship(db, client):
    text = page_text(client.get("/help/"))
    assert "EP-103" in text and "--allow-origin" in text
