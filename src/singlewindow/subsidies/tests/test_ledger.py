"""The ledger follows the policies: a commitment per payer when a policy takes effect, in the same transaction as
the move; a reversal (a new entry) when it stops being funded; never an edit. The hypothesis test walks any
sequence of issue / confirm / approve / return / decline / cancel / lapse / expire through the real policy
services and compares the ledger with the policies, to the fen."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from singlewindow.audit.models import AuditEvent
from singlewindow.machines import Refused, Transition
from singlewindow.policies import services as policies
from singlewindow.policies.models import Policy, PolicyStatus, Scheme
from singlewindow.policies.transitions import POLICY
from singlewindow.subsidies import services
from singlewindow.subsidies.models import AppendOnlyError, LedgerEntry
from singlewindow.subsidies.transitions import FUNDED

from .conftest import confirm_as, holder, new_enterprise, take_effect

C = LedgerEntry.Kind.COMMITMENT
R = LedgerEntry.Kind.REVERSAL


def entries(policy):
    return list(LedgerEntry.objects.filter(policy=policy).order_by("pk").values_list("payer", "region", "kind",
                                                                                     "amount"))


def ledger_of(scheme):
    return {(line.payer, line.region_id): line.net
            for line in services.totals(LedgerEntry.objects.filter(scheme=scheme))}


def owed_by(scheme):
    return services.expected_total(Policy.objects.filter(scheme=scheme))


@pytest.fixture
def allow_cancel_after_effect(monkeypatch):
    """The policy table with 撤销 reaching 已生效 too (today's table has no way out of 已生效 but 已到期): what
    the ledger must do the day one exists — the real services run over the table as changed."""
    cancel = POLICY["cancel"]
    monkeypatch.setitem(POLICY.transitions, "cancel", Transition(
        "cancel", cancel.sources | {PolicyStatus.EFFECTIVE}, cancel.target, cancel.actor_role, cancel.label))


def test_approval_commits_the_premium_split_by_the_schemes_shares(world):
    confirmed = confirm_as(world.demo, world.pending)
    assert entries(confirmed) == []  # 审批中 owes nothing yet
    policy = policies.approve(world.insurer, confirmed.pk)
    assert entries(policy) == [("province", "440000", C, Decimal("960.00")), ("city", "441500", C, Decimal("240.00"))]
    event = AuditEvent.objects.get(object_type="policies.policy", object_id=str(policy.pk), action="policy.approve")
    assert set(LedgerEntry.objects.filter(policy=policy).values_list("event", "cause", "premium")) == {
        (event.pk, "policy.approve", Decimal("1200.00"))}


def test_the_ledger_rolls_back_with_a_move_that_fails(world, monkeypatch):
    confirm_as(world.demo, world.pending)

    def broken(*args, **kwargs):
        raise RuntimeError("the notice could not be written")

    monkeypatch.setattr(policies.notifications, "policy_changed", broken)
    with pytest.raises(RuntimeError):
        policies.approve(world.insurer, world.pending.pk)
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.CONFIRMED
    assert entries(world.pending) == []


def test_a_second_approval_is_refused_and_commits_nothing_more(world):
    confirm_as(world.demo, world.pending)
    policies.approve(world.insurer, world.pending.pk)
    with pytest.raises(Refused):
        policies.approve(world.insurer, world.pending.pk)
    assert len(entries(world.pending)) == 2


def test_moves_that_never_took_effect_commit_nothing(world):
    policy = world.pending
    confirm_as(world.demo, policy)
    policies.return_policy(world.insurer, policy.pk, reason="联系电话无法接通。")
    policies.cancel(world.insurer, policy.pk, reason="企业已注销。")
    assert entries(policy) == []


def test_expiry_keeps_the_commitment(world):
    policy = take_effect(world, world.pending)
    assert policies.expire_ended(today=policy.scheme.cover_end + dt.timedelta(days=1)) >= 1
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.EXPIRED
    assert [kind for _p, _r, kind, _a in entries(policy)] == [C, C]


def test_cancellation_after_effect_reverses_by_new_entries(world, allow_cancel_after_effect):
    policy = take_effect(world, world.pending)
    committed = list(LedgerEntry.objects.filter(policy=policy).order_by("pk"))
    policies.cancel(world.insurer, policy.pk, reason="企业申请退保。")
    assert entries(policy) == [
        ("province", "440000", C, Decimal("960.00")), ("city", "441500", C, Decimal("240.00")),
        ("province", "440000", R, Decimal("-960.00")), ("city", "441500", R, Decimal("-240.00"))]
    # the commitments are as they were; each reversal names the one it undoes and the cancellation's event
    assert list(LedgerEntry.objects.filter(pk__in=[e.pk for e in committed]).order_by("pk")) == committed
    event = AuditEvent.objects.get(object_type="policies.policy", object_id=str(policy.pk), action="policy.cancel")
    assert {(e.reverses_id, e.event_id) for e in LedgerEntry.objects.filter(policy=policy, kind=R)} == {
        (committed[0].pk, event.pk), (committed[1].pk, event.pk)}
    assert services.outstanding([policy.pk]).count() == 0


def test_entries_cannot_be_changed_or_deleted(world):
    policy = take_effect(world, world.pending)
    entry = LedgerEntry.objects.filter(policy=policy).first()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.amount = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_the_bulk_path_commits_in_bulk(world, django_assert_max_num_queries):
    """commit_many for many policies at once (the calendar's chunks, a future bulk approval): a fixed number
    of queries whatever the count."""
    ids = []
    with transaction.atomic():
        for _ in range(30):
            enterprise = new_enterprise()
            ids.append(policies.issue(world.insurer, world.scheme.pk, enterprise.pk).pk)
        Policy.objects.filter(pk__in=ids).update(status=PolicyStatus.EFFECTIVE)  # the move a bulk caller made
        with django_assert_max_num_queries(4):
            written = services.follow_many([(pk, PolicyStatus.CONFIRMED) for pk in ids], PolicyStatus.EFFECTIVE,
                                           cause="policy.approve")
        assert len(written) == 60
        transaction.set_rollback(True)


# --- any sequence of moves, through the real services ---------------------------------------------------

POLICIES = 3
ACTIONS = ["issue", "confirm", "approve", "return", "decline", "cancel", "lapse", "expire"]
steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, POLICIES - 1)), min_size=1, max_size=14)


def perform(world, enterprises, action, index):
    """One step; a move the policy table refuses from where the policy stands is refused, as on its page."""
    scheme, insurer = world.scheme, world.insurer
    if action == "lapse":  # the calendar after the deadline: every waiting policy of the scheme lapses
        policies.lapse_overdue(today=scheme.confirm_deadline + dt.timedelta(days=1))
        return
    if action == "expire":
        policies.expire_ended(today=scheme.cover_end + dt.timedelta(days=1))
        return
    enterprise = enterprises[index]
    policy = Policy.objects.filter(scheme=scheme, enterprise=enterprise).first()
    try:
        if action == "issue":
            policies.issue(insurer, scheme.pk, enterprise.pk)
        elif policy is None:
            return
        elif action == "confirm":
            confirm_as(holder(enterprise), policy)
        elif action == "approve":
            policies.approve(insurer, policy.pk)
        elif action == "return":
            policies.return_policy(insurer, policy.pk, reason="联系电话无法接通。")
        elif action == "decline":
            policies.decline(holder(enterprise), policy.pk, reason="企业已另行投保。")
        elif action == "cancel":
            policies.cancel(insurer, policy.pk, reason="企业已注销。")
    except Refused:
        pass


def assert_ledger_matches_the_policies(world, enterprises):
    scheme = Scheme.objects.get(pk=world.scheme.pk)
    nonzero = {key: amount for key, amount in ledger_of(scheme).items() if amount}  # a payer whose entries were all reversed
    assert nonzero == owed_by(scheme)
    for policy in Policy.objects.filter(scheme=scheme, enterprise__in=enterprises).select_related("scheme"):
        net = {payer: amount for payer, amount in services.net_by(LedgerEntry.objects.filter(policy=policy),
                                                                  "payer").items()}
        province, city = services.split(policy.premium, scheme.province_share)
        expected = {"province": province, "city": city} if policy.status in FUNDED else {}
        assert {payer: amount for payer, amount in net.items() if amount} == expected, policy.status
    assert services.differences(Policy.objects.filter(scheme=scheme)) == []


@pytest.mark.parametrize("cancel_after_effect", [False, True])
@example(sequence=[("issue", 0), ("confirm", 0), ("approve", 0), ("cancel", 0), ("issue", 1), ("confirm", 1),
                   ("return", 1), ("confirm", 1), ("approve", 1), ("issue", 2), ("lapse", 2), ("expire", 0)],
         premium=Decimal("1000.01"), share=Decimal("33.25"))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps, premium=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
       # in quarters of a percent: SQLite keeps a decimal as a double, and the scheme's own check (province =
       # 100 − city) holds there only for shares a double states exactly (any share: test_split.py)
       share=st.integers(0, 400).map(lambda quarters: (Decimal(quarters) / 4).quantize(Decimal("0.01"))))
def test_for_any_sequence_the_ledger_equals_the_funded_premiums_split_by_the_shares(
        world, monkeypatch, cancel_after_effect, sequence, premium, share):
    with transaction.atomic():
        if cancel_after_effect:
            cancel = POLICY["cancel"]
            monkeypatch.setitem(POLICY.transitions, "cancel", Transition(
                "cancel", cancel.sources | {PolicyStatus.EFFECTIVE}, cancel.target, cancel.actor_role, cancel.label))
        # any premium and split the scheme may hold (the policies already in force keep theirs: fixed per policy)
        Scheme.objects.filter(pk=world.scheme.pk).update(premium_fixed=premium, province_share=share,
                                                         city_share=100 - share)
        Policy.objects.filter(scheme=world.scheme).exclude(status__in=FUNDED).update(premium=premium)
        funded = Policy.objects.filter(scheme=world.scheme, status__in=FUNDED)
        if funded.exists():  # the world's policies in force were committed at 80/20: state them at this split too
            services.repair(services.differences(funded))
        enterprises = [new_enterprise(region) for region in ("441502", "441521", "441581")]
        try:
            for action, index in sequence:
                perform(world, enterprises, action, index)
            assert_ledger_matches_the_policies(world, enterprises)
        finally:
            transaction.set_rollback(True)
            monkeypatch.undo()


# --- manage.py check_ledger ---------------------------------------------------------------------------

def run_check(*args):
    out = io.StringIO()
    try:
        call_command("check_ledger", *args, stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_check_ledger_finds_nothing_in_a_ledger_written_by_the_services(world, effective):
    assert run_check() == (0, "补贴台账与保单一致。\n")


def test_check_ledger_reports_a_difference_and_changes_nothing_unless_asked(world, effective):
    policy = effective[0]
    # a policy put in force behind the services' back (a hand-made row): no commitment
    other = take_effect(world, world.pending)
    LedgerEntry.objects.bulk_create([LedgerEntry(
        policy=policy, scheme=policy.scheme, payer="city", region_id="441500", kind=C, amount=Decimal("1.00"),
        premium=policy.premium, share=Decimal(20), cause="hand-made", created_at=policy.status_changed_at)])
    Policy.objects.filter(pk=other.pk).update(premium=Decimal("1300.00"))
    before = LedgerEntry.objects.count()
    code, report = run_check()
    assert code == 1
    assert f"保单 {policy.number} 市级：应为 441500 240.00，台账为 441500 1.00、441500 240.00" in report
    assert f"保单 {other.number} 省级：应为 440000 1040.00，台账为 440000 960.00" in report
    assert LedgerEntry.objects.count() == before  # reported, never silently edited

    code, report = run_check("--repair")
    assert code == 0 and "已补记 2 份保单" in report
    assert run_check() == (0, "补贴台账与保单一致。\n")
    assert LedgerEntry.objects.count() > before  # the repair appended; nothing was edited
    assert AuditEvent.objects.filter(action="ledger.repair", object_id__in=[str(policy.pk), str(other.pk)]).count() == 2


def test_only_a_bureau_writes_a_budget(world):
    with pytest.raises(PermissionDenied):
        services.save_budget(world.insurer, world.scheme.pk, "city", "100.00")
