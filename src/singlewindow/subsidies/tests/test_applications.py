"""申请拨付 through the services: what a draft lists, invoice numbers, one live application per policy and payer,
the paying bureau's review, payment and reconciliation, the budget's warning and refusal, and the transition
table walked edge by edge."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from singlewindow.audit.models import AuditEvent
from singlewindow.machines import Refused
from singlewindow.policies import services as policies
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.subsidies import services
from singlewindow.subsidies.models import ApplicationLine, FundingApplication, LedgerEntry
from singlewindow.subsidies.transitions import APPLICATION

from .conftest import A, act, application_in, budget, city_key, confirm_as, draft, province_key, today

pytestmark = pytest.mark.usefixtures("effective")


def city_commitments(world):
    return LedgerEntry.objects.filter(scheme=world.scheme, payer="city", kind="commitment")


def test_a_draft_lists_every_commitment_of_the_payer_and_period(world):
    application = draft(world)
    commitments = city_commitments(world)
    assert application.status == A.DRAFT and application.number.startswith("BF")
    assert set(application.lines.values_list("entry", "policy", "amount")) == set(
        commitments.values_list("pk", "policy", "amount"))
    assert application.total == sum(commitments.values_list("amount", flat=True))
    assert application.premium_total == sum(commitments.values_list("premium", flat=True))
    assert application.line_count == commitments.count() > 0
    assert set(application.lines.values_list("share", flat=True)) == {Decimal(20)}
    assert AuditEvent.objects.filter(action="funding.create", object_id=str(application.pk)).count() == 1


def test_the_period_is_inclusive_of_both_days_in_shanghai(world):
    policy = confirm_as(world.demo, world.pending)
    last_moment = timezone.make_aware(dt.datetime(today().year, 1, 31, 23, 59, 30))  # Asia/Shanghai
    policies.approve(world.insurer, policy.pk, now=last_moment)
    january = draft(world, first=dt.date(today().year, 1, 1), last=dt.date(today().year, 1, 31))
    assert list(january.lines.values_list("policy", flat=True)) == [policy.pk]
    with pytest.raises(ValidationError, match="该期间没有可申请拨付的保单"):
        draft(world, first=dt.date(today().year, 1, 1), last=dt.date(today().year, 1, 30))


def test_the_period_must_run_forwards(world):
    with pytest.raises(ValidationError) as refused:
        draft(world, first=today(), last=today() - dt.timedelta(days=1))
    assert refused.value.message_dict == {"period_end": ["期间止不能早于期间起。"]}


def test_a_policy_is_in_at_most_one_live_application_per_payer(world):
    first = draft(world)
    with pytest.raises(ValidationError, match="该期间没有可申请拨付的保单"):
        draft(world)  # the city's commitments are all taken
    province = draft(world, key=province_key(world))  # the province's share of the same policies is another payer's
    assert set(province.lines.values_list("policy", flat=True)) == set(first.lines.values_list("policy", flat=True))
    line = first.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database holds to it whatever the code
        ApplicationLine.objects.create(application=province, entry=line.entry, policy=line.policy, payer="city",
                                       premium=line.premium, share=line.share, amount=line.amount)
    services.withdraw(world.insurer, first.pk)
    again = draft(world)  # 作废 gives the policies back
    assert again.line_count == first.line_count


def test_the_insurer_chooses_among_its_own_schemes_and_their_payers(world):
    with pytest.raises(ValidationError) as refused:
        services.create_application(world.other_insurer, scheme_id=world.scheme.pk, payer=city_key(world),
                                    period_start=dt.date(today().year, 1, 1), period_end=today())
    assert refused.value.message_dict == {"scheme": ["请选择本机构承保的方案。"]}
    for key in ["city:440100", "city:xx", "nobody:441500", "", "city:441500\x00"]:
        with pytest.raises(ValidationError) as refused:
            draft(world, key=key)
        assert refused.value.message_dict == {"payer": ["请选择本方案的资助方。"]}
    with pytest.raises(PermissionDenied):
        services.create_application(world.bureau, scheme_id=world.scheme.pk, payer=city_key(world),
                                    period_start=today(), period_end=today())


# --- invoice numbers ---------------------------------------------------------------------------------------

def test_invoice_numbers_are_entered_per_policy_by_pasted_lines(world):
    application = draft(world)
    first, second = application.lines.select_related("policy")[:2]
    assert services.set_invoices(world.insurer, application.pk,
                                 f"{first.policy.number} 04400012\n\n{second.policy.number}，０４４０００１３\n") == 2
    assert dict(application.lines.filter(pk__in=[first.pk, second.pk]).values_list("policy__number",
                                                                                    "invoice_number")) == {
        first.policy.number: "04400012", second.policy.number: "04400013"}
    # 统一发票号 for the rest fills only the lines without one
    filled = services.fill_invoices(world.insurer, application.pk, "04400099")
    assert filled == application.line_count - 2
    assert application.lines.get(pk=first.pk).invoice_number == "04400012"


@pytest.mark.parametrize("text, message", [
    ("", "请每行填写一个保单号和它的发票号码。"),
    ("XW1 2 3", "第1行应为“保单号 发票号码”两项。"),
    ("XW1 =1+1", "第1行：发票号码只能包含字母、数字和连字符，最多30位。"),
    ("XW1 <b>", "第1行：发票号码只能包含字母、数字和连字符，最多30位。"),
    ("XW1 A\x00B", "第1行：发票号码只能包含字母、数字和连字符，最多30位。"),
    ("XW1 " + "9" * 31, "第1行：发票号码只能包含字母、数字和连字符，最多30位。"),
])
def test_pasted_invoice_numbers_that_are_wrong_are_named_and_nothing_is_stored(world, text, message):
    application = draft(world)
    with pytest.raises(ValidationError) as refused:
        services.set_invoices(world.insurer, application.pk, text)
    assert refused.value.message_dict["invoices"][0] == message
    assert not application.lines.exclude(invoice_number="").exists()


def test_a_policy_not_in_the_application_is_named(world):
    application = draft(world)
    line = application.lines.select_related("policy").first()
    with pytest.raises(ValidationError) as refused:
        services.set_invoices(world.insurer, application.pk, f"{line.policy.number} 1\nXW000 2")
    assert refused.value.message_dict == {"invoices": ["以下保单不在本申请中：XW000。"]}
    assert line.__class__.objects.get(pk=line.pk).invoice_number == ""


def test_submission_needs_every_invoice_number(world):
    application = draft(world)
    with pytest.raises(Refused, match=f"还有 {application.line_count} 份保单未填写发票号码"):
        services.submit(world.insurer, application.pk)
    services.fill_invoices(world.insurer, application.pk, "04400012")
    assert services.submit(world.insurer, application.pk).status == A.SUBMITTED


def test_a_submitted_application_cannot_be_edited(world):
    application = application_in(world, A.SUBMITTED)
    with pytest.raises(Refused, match="当前状态为“待审核”，不能修改"):
        services.fill_invoices(world.insurer, application.pk, "1")


# --- the paying bureau -------------------------------------------------------------------------------------

def test_the_city_bureau_reviews_the_city_share_and_the_province_bureau_the_provinces(world, paying):
    budget(world)
    budget(world, payer="province", by=paying.province)
    city = application_in(world, A.SUBMITTED)
    province = draft(world, key=province_key(world))
    act(world, province, "submit")
    # the province bureau reads its city's application, but the city decides it
    assert FundingApplication.objects.visible_to(paying.province).filter(pk=city.pk).exists()
    with pytest.raises(PermissionDenied):
        services.approve(paying.province, city.pk)
    # the city bureau does not see the province's; a county bureau and another city see neither
    for outsider in (paying.city, paying.county, paying.other_city):
        with pytest.raises(FundingApplication.DoesNotExist):
            services.approve(outsider, province.pk)
    for outsider in (paying.county, paying.other_city):
        with pytest.raises(FundingApplication.DoesNotExist):
            services.approve(outsider, city.pk)
    assert services.approve(paying.province, province.pk).status == A.APPROVED
    assert services.approve(paying.city, city.pk).status == A.APPROVED


def test_another_branch_cannot_touch_the_application(world):
    application = draft(world)
    with pytest.raises(FundingApplication.DoesNotExist):
        services.fill_invoices(world.other_insurer, application.pk, "1")
    with pytest.raises(FundingApplication.DoesNotExist):
        services.withdraw(world.other_insurer, application.pk)


def test_a_return_needs_a_reason_and_the_insurer_corrects_and_submits_again(world):
    application = application_in(world, A.SUBMITTED)
    with pytest.raises(ValidationError):
        services.return_application(world.bureau, application.pk, reason=" ")
    returned = services.return_application(world.bureau, application.pk, reason="发票号码有误。")
    assert (returned.status, returned.last_reason) == (A.RETURNED, "发票号码有误。")
    services.fill_invoices(world.insurer, application.pk, "X")  # nothing blank: changes nothing
    assert services.set_invoices(world.insurer, application.pk,
                                 f"{application.lines.first().policy.number} 04400100") == 1
    again = services.submit(world.insurer, application.pk)
    assert (again.status, again.last_reason) == (A.SUBMITTED, "")


def test_payment_is_recorded_with_date_amount_and_reference(world):
    budget(world)
    application = application_in(world, A.APPROVED)
    for fields, problem in [
        ({"paid_on": today() + dt.timedelta(days=1)}, {"paid_on": ["拨付日期不能晚于今天。"]}),
        ({"paid_on": today() - dt.timedelta(days=1)},
         {"paid_on": [f"拨付日期不能早于审核通过的日期（{today().isoformat()}）。"]}),
        ({"amount": "0"}, {"amount": ["拨付金额应大于零。"]}),
        ({"amount": "1.001"}, {"amount": ["请填写金额（元），最多两位小数。"]}),
        ({"amount": "NaN"}, {"amount": ["请填写金额（元），最多两位小数。"]}),
        ({"reference": "=HYPERLINK()"}, {"reference": ["不能以 = + - @ 等公式符号开头。"]}),
    ]:
        data = {"paid_on": today(), "amount": application.total, "reference": "GK-1", **fields}
        with pytest.raises(ValidationError) as refused:
            services.record_payment(world.bureau, application.pk, **data)
        assert refused.value.message_dict == problem
    paid = services.record_payment(world.bureau, application.pk, paid_on=today(), amount=application.total,
                                   reference="GK-2026-0001")
    assert (paid.status, paid.paid_on, paid.paid_amount, paid.payment_reference) == (
        A.PAID, today(), application.total, "GK-2026-0001")


def test_reconciliation_states_any_difference(world):
    budget(world)
    application = application_in(world, A.APPROVED)
    services.record_payment(world.bureau, application.pk, paid_on=today(),
                            amount=application.total - Decimal("0.01"), reference="GK-1")
    with pytest.raises(ValidationError) as refused:
        services.reconcile(world.bureau, application.pk)
    assert refused.value.message_dict == {"note": ["拨付金额与申请金额相差 -0.01 元，请填写差额说明。"]}
    done = services.reconcile(world.bureau, application.pk, note="银行手续费 0.01 元由保险公司承担。")
    assert (done.status, done.difference, done.difference_note) == (A.RECONCILED, Decimal("-0.01"),
                                                                     "银行手续费 0.01 元由保险公司承担。")


def test_an_exact_payment_reconciles_without_a_note(world):
    budget(world)
    application = application_in(world, A.RECONCILED)
    assert (application.difference, application.difference_note) == (Decimal("0.00"), "")


# --- the budget --------------------------------------------------------------------------------------------

def test_approval_is_refused_without_a_budget(world):
    application = application_in(world, A.SUBMITTED)
    with pytest.raises(Refused, match="尚未设置市级 · 汕尾市对本方案的预算"):
        services.approve(world.bureau, application.pk)


def test_approval_beyond_the_budget_is_refused_and_up_to_it_allowed(world):
    application = application_in(world, A.SUBMITTED)
    budget(world, application.total - Decimal("0.01"))
    with pytest.raises(Refused, match="超出预算 .* 元（超出 0.01 元），不能审核通过"):
        services.approve(world.bureau, application.pk)
    assert FundingApplication.objects.get(pk=application.pk).status == A.SUBMITTED
    budget(world, application.total)
    assert services.approve(world.bureau, application.pk).status == A.APPROVED


def test_the_budget_warns_from_90_percent_committed(world):
    committed = services.budget_for(world.scheme, "city", world.bureau.region).committed
    assert committed > 0
    for amount, level in [(None, "unset"), (committed * 10, "ok"), (committed / Decimal("0.9"), "warning"),
                          (committed / Decimal("0.9") + 1, "ok"), (committed, "warning"),
                          (committed - Decimal("0.01"), "over")]:
        if amount is not None:
            budget(world, f"{amount.quantize(Decimal('0.01'), rounding='ROUND_DOWN')}")
        assert services.budget_for(world.scheme, "city", world.bureau.region).level == level, amount


def test_only_the_paying_bureau_sets_its_budget(world, paying):
    with pytest.raises(ValidationError):
        services.save_budget(paying.county, world.scheme.pk, "city", "1.00")  # a county pays no share
    with pytest.raises(ValidationError):
        services.save_budget(paying.other_city, world.scheme.pk, "city", "1.00")
    with pytest.raises(ValidationError):
        services.save_budget(world.bureau, world.scheme.pk, "province", "1.00")  # the city's own share only
    for amount, message in [("-1", "金额不能为负数。"), ("1e400", "请填写金额（元），最多两位小数。"),
                            ("abc", "请填写金额（元），最多两位小数。")]:
        with pytest.raises(ValidationError) as refused:
            services.save_budget(world.bureau, world.scheme.pk, "city", amount)
        assert refused.value.message_dict == {"amount": [message]}


# --- the table, edge by edge -----------------------------------------------------------------------------

ALLOWED, REFUSED = APPLICATION.edges()


@pytest.mark.parametrize("action, status", ALLOWED)
def test_each_allowed_edge_moves_to_its_target(world, action, status):
    budget(world)
    application = application_in(world, status)
    moved = act(world, application, action)
    assert moved.status == APPLICATION[action].target
    assert AuditEvent.objects.filter(object_type="subsidies.fundingapplication", object_id=str(application.pk),
                                     action=f"funding.{action}", from_status=status).count() == 1


@pytest.mark.parametrize("action, status", REFUSED)
def test_each_refused_edge_is_refused_and_changes_nothing(world, action, status):
    budget(world)
    application = application_in(world, status)
    with pytest.raises(Refused):
        act(world, application, action)
    assert FundingApplication.objects.get(pk=application.pk).status == status


def test_a_withdrawn_application_gives_its_policies_back(world):
    application = application_in(world, A.WITHDRAWN)
    assert not application.lines.filter(live=True).exists()
    assert draft(world).line_count == application.line_count


# --- a policy that stops being funded ----------------------------------------------------------------------

def test_a_reversed_commitment_stops_submission_and_approval_until_it_is_taken_out(world, monkeypatch):
    from singlewindow.machines import Transition
    from singlewindow.policies.transitions import POLICY

    cancel = POLICY["cancel"]
    monkeypatch.setitem(POLICY.transitions, "cancel", Transition(
        "cancel", cancel.sources | {PolicyStatus.EFFECTIVE}, cancel.target, cancel.actor_role, cancel.label))
    budget(world)
    application = application_in(world, A.SUBMITTED)
    line = application.lines.select_related("policy").first()
    policies.cancel(world.insurer, line.policy.pk, reason="企业申请退保。")
    with pytest.raises(Refused, match=f"保单 {line.policy.number} 的补贴已冲回"):
        services.approve(world.bureau, application.pk)
    services.return_application(world.bureau, application.pk, reason="有保单已退保。")
    assert services.drop_reversed(world.insurer, application.pk) == 1
    application.refresh_from_db()
    assert not application.lines.filter(policy=line.policy).exists()
    assert application.total == sum(application.lines.values_list("amount", flat=True))
    services.submit(world.insurer, application.pk)
    assert services.approve(world.bureau, application.pk).status == A.APPROVED


# --- the dashboard, the ledger and the applications agree -----------------------------------------------

def test_dashboard_ledger_and_applications_agree_to_the_fen(world, paying):
    from singlewindow.bureaus.figures import dashboard

    scheme = world.scheme
    entries = LedgerEntry.objects.visible_to(world.bureau).filter(scheme=scheme)
    ledger = {line.payer: line.net for line in services.totals(entries)}
    city = draft(world)
    province = draft(world, key=province_key(world))
    board = dashboard(world.bureau, scheme)
    policies_in_force = Policy.objects.filter(scheme=scheme, status__in=[PolicyStatus.EFFECTIVE, PolicyStatus.EXPIRED])
    owed = services.expected_total(policies_in_force)
    assert ledger == {"city": owed["city", "441500"], "province": owed["province", "440000"]}
    assert (city.total, province.total) == (ledger["city"], ledger["province"])
    assert board.total.premium == ledger["city"] + ledger["province"] == city.premium_total
    by_county = services.net_by(entries, "policy__enterprise__region")
    assert {line.code: line.premium for line in board.lines if line.premium} == by_county
