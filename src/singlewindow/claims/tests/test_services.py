"""The notice and claim services: every edge of both tables, the deadlines at their day boundaries, the scopes,
the indemnity across a policy year, recoveries."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from singlewindow.audit.models import AuditEvent
from singlewindow.claims import services
from singlewindow.claims.models import Claim, ClaimDocument, LossNotice
from singlewindow.claims.transitions import CLAIM, NOTICE
from singlewindow.machines import Refused
from singlewindow.notifications.models import Notice, OutboundMessage
from singlewindow.policies.models import Policy

from .conftest import act_on_claim, act_on_notice, at, claim_for, claim_in, file, notice_data, notice_in, pdf

NOTICE_ALLOWED, NOTICE_REFUSED = NOTICE.edges()
CLAIM_ALLOWED, CLAIM_REFUSED = CLAIM.edges()


@pytest.mark.parametrize("action,status", NOTICE_ALLOWED)
def test_every_allowed_notice_move_happens_and_is_audited(insured, action, status):
    notice = notice_in(insured, status)
    act_on_notice(insured, notice, action)
    notice.refresh_from_db()
    assert notice.status == NOTICE[action].target
    assert AuditEvent.objects.filter(object_type="claims.lossnotice", object_id=str(notice.pk),
                                     action=f"loss_notice.{action}").exists()


@pytest.mark.parametrize("action,status", NOTICE_REFUSED)
def test_every_refused_notice_move_changes_nothing(insured, action, status):
    notice = notice_in(insured, status)
    with pytest.raises(Refused):
        act_on_notice(insured, notice, action)
    notice.refresh_from_db()
    assert notice.status == status


@pytest.mark.parametrize("action,status", CLAIM_ALLOWED)
def test_every_allowed_claim_move_happens_tells_the_enterprise_and_is_audited(insured, action, status):
    claim = claim_in(insured, status)
    told = Notice.objects.filter(kind=Notice.Kind.CLAIM, enterprise=insured.policy.enterprise_id).count()
    act_on_claim(insured, claim, action)
    claim.refresh_from_db()
    assert claim.status == CLAIM[action].target
    assert AuditEvent.objects.filter(object_type="claims.claim", object_id=str(claim.pk),
                                     action=f"claim.{action}").exists()
    assert Notice.objects.filter(kind=Notice.Kind.CLAIM, enterprise=insured.policy.enterprise_id).count() == told + 1


@pytest.mark.parametrize("action,status", CLAIM_REFUSED)
def test_every_refused_claim_move_changes_nothing(insured, action, status):
    """Among them: a rejected claim cannot be approved, a paid one cannot change, a withdrawn one is not reopened."""
    claim = claim_in(insured, status)
    before = Claim.objects.filter(pk=claim.pk).values().get()
    with pytest.raises((Refused, ValidationError)):
        act_on_claim(insured, claim, action)
    assert Claim.objects.filter(pk=claim.pk).values().get() == before


def test_every_status_that_is_not_final_tells_what_happens_next_and_by_when(insured):
    for status in Claim.Status.values:
        claim = claim_in(insured, status)
        text, by = services.next_step(claim)
        assert text
        if status not in (Claim.Status.PAID, Claim.Status.REJECTED, Claim.Status.WITHDRAWN):
            assert by is not None, status


# --- deadlines, Asia/Shanghai, inclusive --------------------------------------------------------------

def test_a_notice_on_the_last_day_is_on_time_and_one_a_minute_later_is_late_but_accepted(insured):
    due = dt.date(2020, 9, 1)  # 60 days: the last day is 2020-10-31
    on_time = file(insured, now=at(dt.date(2020, 10, 31), 23, 59), due_date=due)
    late = file(insured, now=at(dt.date(2020, 11, 1), 0, 0), due_date=due)
    assert on_time.deadline == late.deadline == dt.date(2020, 10, 31)
    assert not on_time.late and late.late
    assert late.status == LossNotice.Status.SUBMITTED


def test_a_claim_on_its_last_day_is_taken_and_the_next_day_refused(insured):
    notice = file(insured, now=at(dt.date(2020, 10, 1)))
    assert services.claim_deadline(notice) == dt.date(2021, 1, 29)  # 120 days
    with pytest.raises(Refused, match="2021-01-29"):
        services.submit_claim(insured.user, notice.pk, claimed_amount="100", now=at(dt.date(2021, 1, 30), 0, 0))
    claim = services.submit_claim(insured.user, notice.pk, claimed_amount="100", now=at(dt.date(2021, 1, 29), 23, 59))
    assert claim.status == Claim.Status.SUBMITTED


@pytest.mark.parametrize("field,value,message", [
    ("shipment_date", dt.date(2020, 5, 1), "保险责任期间"),  # before approval: not covered
    ("declaration_no", "53012020000012345", "18位数字"),
    ("declaration_no", "５３０１２０２０００００１２３４５６x", "18位数字"),
    ("credit_days", 361, "0至360天"),
    ("currency", "XXX", "币种"),
    ("overdue_amount", Decimal("20000.01"), "不能超过发票金额"),
    ("invoice_amount", Decimal(-1), "大于零"),
    ("invoice_amount", "1e400", "金额"),
    ("due_date", dt.date(2020, 5, 31), "不能早于出运日期"),
    ("collection_steps", "<script>", "标记"),
    ("contract_no", "a\x00b", "控制字符"),
    ("cause", "bankrupt", "损失原因"),
])
def test_a_bad_field_is_named_and_nothing_is_filed(insured, field, value, message):
    before = LossNotice.objects.count()
    with pytest.raises(ValidationError) as refused:
        file(insured, **{field: value})
    assert message in " ".join(refused.value.message_dict[field])
    assert LossNotice.objects.count() == before


def test_one_invoice_is_reported_once_unless_the_first_notice_was_withdrawn(insured):
    first = file(insured, invoice_no="INV-X")
    with pytest.raises(ValidationError, match=first.number):
        file(insured, invoice_no="INV-X")
    services.withdraw_notice(insured.user, first.pk, reason="误报。")
    assert file(insured, invoice_no="INV-X").status == LossNotice.Status.SUBMITTED


def test_a_policy_that_never_took_effect_takes_no_notice(insured, world):
    with pytest.raises(Refused, match="未生效"):
        services.file_notice(world.demo, world.pending.pk, notice_data(insured))


# --- who may do what ---------------------------------------------------------------------------------

def test_another_enterprise_cannot_file_on_the_policy_nor_use_the_buyer(insured, world):
    with pytest.raises(Policy.DoesNotExist):
        services.file_notice(world.demo2, insured.policy.pk, notice_data(insured))
    notice = file(insured)
    for call in (lambda: services.withdraw_notice(world.demo2, notice.pk, reason="x"),
                 lambda: services.submit_claim(world.demo2, notice.pk, claimed_amount="1")):
        with pytest.raises(LossNotice.DoesNotExist):
            call()


def test_a_colleague_of_the_enterprise_files_and_claims_too(insured, world):
    notice = services.file_notice(world.colleague, insured.policy.pk, notice_data(insured), now=at(dt.date(2020, 10, 1)))
    claim = services.submit_claim(world.colleague, notice.pk, claimed_amount="10", now=at(dt.date(2020, 10, 2)))
    assert claim.policy_id == insured.policy.pk


def test_another_branch_cannot_review_and_the_enterprise_cannot_decide(insured, world):
    claim = claim_for(insured)
    with pytest.raises(Claim.DoesNotExist):
        services.take_claim(world.other_insurer, claim.pk)
    with pytest.raises(PermissionDenied):
        services.take_claim(world.demo, claim.pk)
    with pytest.raises(PermissionDenied):
        services.submit_claim(world.insurer, claim.notice_id, claimed_amount="1")


def test_a_bureau_counts_its_region_but_never_sees_a_document(insured, world):
    claim = claim_for(insured)
    services.add_document(world.demo, claim.pk, "invoice", pdf())
    assert Claim.objects.visible_to(world.bureau).filter(pk=claim.pk).exists()  # 城区 is in 汕尾市
    assert not Claim.objects.visible_to(world.county).filter(pk=claim.pk).exists()  # not in 海丰县
    document = ClaimDocument.objects.get(claim=claim)
    for user in (world.bureau, world.county, world.admin, world.demo2, world.other_insurer):
        assert not ClaimDocument.objects.visible_to(user).filter(pk=document.pk).exists(), user
    assert ClaimDocument.objects.visible_to(world.insurer).filter(pk=document.pk).exists()
    assert list(ClaimDocument.objects.visible_to(world.demo)) == [document]


@pytest.mark.parametrize("reason", ["", "很" * 501, "<b>撤回</b>"])
@pytest.mark.parametrize("what, status", [("withdraw_claim", "approved"), ("withdraw_claim", "withdrawn"),
                                          ("reject", "submitted"), ("reject", "rejected")])
def test_a_claim_in_the_wrong_state_is_told_its_state_whatever_the_reason(insured, what, status, reason):
    claim = claim_in(insured, status)
    actor = insured.user if what == "withdraw_claim" else insured.insurer
    with pytest.raises(Refused, match="当前状态为|无需重复操作") as refused:
        getattr(services, what)(actor, claim.pk, reason=reason)
    assert claim.number in str(refused.value)
    assert Claim.objects.get(pk=claim.pk).status == status


@pytest.mark.parametrize("reason", ["", "<b>撤回</b>"])
def test_a_notice_no_longer_open_is_told_its_state_whatever_the_reason(insured, reason):
    notice = notice_in(insured, LossNotice.Status.CLAIMED)
    with pytest.raises(Refused, match="当前状态为“已索赔”"):
        services.withdraw_notice(insured.user, notice.pk, reason=reason)


def test_a_withdrawn_notice_or_claim_says_its_state_once_when_refused_a_message_or_a_document(insured):
    notice = notice_in(insured, LossNotice.Status.WITHDRAWN)
    with pytest.raises(Refused) as refused:
        services.post_message(insured.user, notice.pk, "answer", "买方已付款。")
    assert str(refused.value) == f"报损 {notice.number} 当前状态为“已撤回”，不能再留言。"
    claim = claim_in(insured, Claim.Status.WITHDRAWN)
    with pytest.raises(Refused) as refused:
        services.add_document(insured.user, claim.pk, "invoice", pdf())
    assert str(refused.value) == f"索赔 {claim.number} 当前状态为“已撤回”，不能再上传材料。"
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.add_document(insured.user, claim.pk, "invoice", pdf())
    assert str(refused.value) == f"Claim {claim.number} is “Withdrawn”; no more documents can be uploaded."


# --- documents ----------------------------------------------------------------------------------------

def states(claim):
    return {row.label: row.state for row in services.checklist(claim)}


def test_the_checklist_shows_what_is_missing_and_a_requested_item_until_it_is_answered(insured):
    claim = claim_for(insured)
    services.add_document(insured.user, claim.pk, "invoice", pdf())
    rows = {row.label: row.missing for row in services.checklist(claim)}
    assert rows["发票"] is False and rows["合同"] is True and rows["索赔申请书"] is True
    act_on_claim(insured, claim, "take")
    services.request_info(insured.insurer, claim.pk, ["买方破产的法院文书", "  ", "物流签收记录"])
    rows = {row.label: row.missing for row in services.checklist(claim)}
    assert rows["买方破产的法院文书"] is True and rows["物流签收记录"] is True
    with pytest.raises(ValidationError, match="物流签收记录"):
        services.resubmit(insured.user, claim.pk, {claim.requests.first().pk: "见附件"})
    request = claim.requests.get(item="物流签收记录")
    services.add_document(insured.user, claim.pk, "requested", pdf("pod.pdf"), request_id=request.pk)
    services.resubmit(insured.user, claim.pk, {claim.requests.get(item="买方破产的法院文书").pk: "法院尚未出具文书"})
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RESUBMITTED
    assert not any(row.missing for row in services.checklist(claim) if row.label.startswith(("买方", "物流")))
    assert OutboundMessage.objects.filter(purpose="claim.request_info", body__contains=claim.number).count() == 1


def test_a_requested_document_is_submitted_only_by_a_file_and_a_question_is_answered_by_a_reply(insured):
    """A reply without a file answers a document request (the enterprise says why there is none) but does not
    submit it; a question asked for a written explanation is answered by its reply and takes no file."""
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    services.request_info(insured.insurer, claim.pk, ["买方破产的法院文书", "物流签收记录"],
                          questions=["买方最后一次付款的时间"])
    asked = {request.item: request for request in claim.requests.all()}
    assert asked["买方最后一次付款的时间"].kind == "explanation" and asked["物流签收记录"].kind == "document"
    with pytest.raises(ValidationError, match="书面说明"):
        services.add_document(insured.user, claim.pk, "requested", pdf(), request_id=asked["买方最后一次付款的时间"].pk)
    services.add_document(insured.user, claim.pk, "requested", pdf("pod.pdf"), request_id=asked["物流签收记录"].pk)
    with pytest.raises(ValidationError, match="未答复的问题：买方最后一次付款的时间"):
        services.resubmit(insured.user, claim.pk, {asked["买方破产的法院文书"].pk: "法院尚未出具文书"})
    services.resubmit(insured.user, claim.pk, {asked["买方破产的法院文书"].pk: "法院尚未出具文书",
                                               asked["买方最后一次付款的时间"].pk: "2020年7月15日"})
    got = states(claim)
    assert (got["买方破产的法院文书"], got["物流签收记录"], got["买方最后一次付款的时间"]) == (
        "explained", "submitted", "answered")
    assert ClaimDocument.objects.filter(claim=claim, request=asked["买方最后一次付款的时间"]).count() == 0


def test_a_decided_claim_takes_no_more_documents_and_a_refused_upload_leaves_no_file(insured, settings, tmp_path):
    settings.SW_DOCUMENT_DIR = tmp_path
    claim = claim_in(insured, Claim.Status.REJECTED)
    with pytest.raises(Refused):
        services.add_document(insured.user, claim.pk, "invoice", pdf())
    assert not any(settings.SW_DOCUMENT_DIR.iterdir())


# --- money across a policy year -----------------------------------------------------------------------

def test_the_second_claim_of_a_year_gets_only_what_the_maximum_has_left(insured):
    scheme = insured.policy.scheme  # 80 %, USD 150,000
    first = claim_for(insured, amount=Decimal("12500.00"))
    notice = file(insured, currency="USD", invoice_amount=Decimal(200000), overdue_amount=Decimal(200000))
    second = services.submit_claim(insured.user, notice.pk, claimed_amount="180000", now=at(dt.date(2020, 10, 6)))
    for claim in (first, second):
        services.take_claim(insured.insurer, claim.pk)
    first = services.approve(insured.insurer, first.pk, usd_rate="1.180000", rate_date=dt.date(2020, 11, 2))
    assert first.loss_usd == Decimal("14750.00") and first.indemnity_usd == Decimal("11800.00")
    second = services.approve(insured.insurer, second.pk, usd_rate="ignored for USD", rate_date=dt.date(2020, 11, 2))
    assert second.usd_rate == 1
    assert second.indemnity_usd == scheme.max_indemnity_usd - Decimal("11800.00")  # not 144,000
    assert services.remaining_usd(insured.policy) == 0
    assert [line[0] for line in second.working_lines] == ["核定损失", "按赔偿比例", "剩余赔偿限额", "赔款"]


def test_the_working_keeps_the_approved_figures_and_reads_in_the_readers_language(insured):
    """Claim.working keeps what the indemnity was computed from and found, not text: read in English after the
    scheme changed, it shows the approved amounts exactly; a claim approved when the working was kept as text
    still shows its lines."""
    claim = claim_in(insured, Claim.Status.APPROVED)  # EUR 10,000 at 1.18: USD 11,800 × 80 % = 9,440
    stored = Claim.objects.get(pk=claim.pk).working
    assert stored == {"currency": "EUR", "rate_date": str(claim.rate_date), "amount": "10000.00",
                      "usd_rate": "1.18", "ratio": str(insured.policy.scheme.indemnity_ratio),
                      "maximum_usd": str(insured.policy.scheme.max_indemnity_usd), "already_usd": "0.00",
                      "loss_usd": "11800.00", "by_ratio_usd": "9440.00", "remaining_usd": stored["remaining_usd"],
                      "indemnity_usd": "9440.00"}
    assert Decimal(stored["indemnity_usd"]) == claim.indemnity_usd and Decimal(stored["loss_usd"]) == claim.loss_usd
    type(insured.policy.scheme).objects.filter(pk=insured.policy.scheme_id).update(indemnity_ratio=Decimal(90))
    claim = Claim.objects.get(pk=claim.pk)
    with translation.override("en"):
        lines = claim.working_lines
    assert [line[0] for line in lines] == ["Assessed loss", "At the indemnity ratio", "Remaining maximum indemnity",
                                           "Indemnity"]
    assert lines[1][2] == lines[3][2] == "USD 9,440.00" and "80" in lines[1][1]  # as approved, not at 90 %
    assert lines[0][2] == "USD 11,800.00"
    Claim.objects.filter(pk=claim.pk).update(working=[["核定损失", "索赔金额 EUR 10,000.00 × 汇率 1.18", "USD 11,800.00"]])
    with translation.override("en"):
        assert Claim.objects.get(pk=claim.pk).working_lines == [("核定损失", "索赔金额 EUR 10,000.00 × 汇率 1.18",
                                                                  "USD 11,800.00")]


def test_payment_must_be_the_indemnity_and_a_recovery_is_shared_by_the_ratio(insured):
    claim = claim_in(insured, Claim.Status.APPROVED)  # EUR 10,000 at 1.18: USD 11,800 × 80 % = 9,440
    assert claim.indemnity_usd == Decimal("9440.00")
    with pytest.raises(ValidationError, match="9,440.00"):
        services.mark_paid(insured.insurer, claim.pk, paid_on=dt.date.today(), amount_usd="9440.01", reference="P1")
    act_on_claim(insured, claim, "pay")
    recovery = services.record_recovery(insured.insurer, claim.pk, amount_usd="1000.00", received_on=dt.date.today())
    assert (recovery.insurer_share_usd, recovery.enterprise_share_usd) == (Decimal("800.00"), Decimal("200.00"))
    assert recovery.restored_usd == 0  # the demo scheme does not restore the maximum
    assert services.remaining_usd(insured.policy) == Decimal("150000.00") - Decimal("9440.00")


@pytest.mark.parametrize("status", [Claim.Status.SUBMITTED, Claim.Status.APPROVED, Claim.Status.REJECTED])
def test_a_wrong_status_approval_is_refused_for_its_status_whatever_rate_was_typed(insured, status):
    claim = claim_in(insured, status)
    before = Claim.objects.filter(pk=claim.pk).values().get()
    for rate, day in (("abc", dt.date(2020, 11, 2)), ("1.18", dt.date(2999, 1, 1)), ("-1", "not a date")):
        with pytest.raises(Refused, match=claim.get_status_display()):
            services.approve(insured.insurer, claim.pk, usd_rate=rate, rate_date=day)
    assert Claim.objects.filter(pk=claim.pk).values().get() == before


def test_a_claim_under_review_still_has_its_rate_and_date_checked(insured):
    claim = claim_in(insured, Claim.Status.UNDER_REVIEW)
    with pytest.raises(ValidationError, match="请填写汇率"):
        services.approve(insured.insurer, claim.pk, usd_rate="abc", rate_date=dt.date(2020, 11, 2))
    with pytest.raises(ValidationError, match="汇率日期不能晚于今天"):
        services.approve(insured.insurer, claim.pk, usd_rate="1.18", rate_date=dt.date(2999, 1, 1))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.UNDER_REVIEW and claim.indemnity_usd is None


def test_a_wrong_status_payment_is_refused_for_its_status_whatever_was_typed(insured):
    claim = claim_in(insured, Claim.Status.PAID)
    with pytest.raises(Refused, match="已赔付"):
        services.mark_paid(insured.insurer, claim.pk, paid_on=dt.date(2999, 1, 1), amount_usd="abc", reference="")


def test_a_scheme_that_restores_the_maximum_restores_only_the_insurers_share(insured):
    type(insured.policy.scheme).objects.filter(pk=insured.policy.scheme_id).update(recovery_restores_limit=True)
    claim = claim_in(insured, Claim.Status.PAID)
    services.record_recovery(insured.insurer, claim.pk, amount_usd="1000.00", received_on=dt.date.today())
    assert services.remaining_usd(insured.policy) == Decimal("150000.00") - Decimal("9440.00") + Decimal("800.00")


def test_settlement_needs_the_insurers_written_decision_once(insured):
    notice = file(insured)
    settlement = services.propose_settlement(insured.user, notice.pk, "买方分三期付清，每月一期。")
    with pytest.raises(Refused):
        services.propose_settlement(insured.user, notice.pk, "另一个方案")
    services.decide_settlement(insured.insurer, settlement.pk, "consented", "同意，请每期到账后告知。")
    with pytest.raises(Refused, match="已有决定"):
        services.decide_settlement(insured.insurer, settlement.pk, "refused", "改变主意")
    settlement.refresh_from_db()
    assert settlement.decision == "consented" and settlement.decided_by == insured.insurer


def test_merged_buyers_point_at_the_one_kept(insured, world):
    from singlewindow.claims.models import Buyer

    other = services.add_buyer(world.demo2, {"name_latin": "HAMBURG TRADING GMBH", "country": "DE"})
    twin = services.add_buyer(world.demo, {"name_latin": "Hamburg Trading", "country": "DE"})
    services.merge_buyers(world.insurer, insured.buyer.pk, [other.pk, twin.pk])
    assert set(Buyer.objects.filter(merged_into=insured.buyer).values_list("pk", flat=True)) == {other.pk, twin.pk}
    with pytest.raises(ValidationError):
        services.merge_buyers(world.other_insurer, insured.buyer.pk, [other.pk])
