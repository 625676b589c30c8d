"""The policy state machine walked edge by edge: every allowed transition, every refused one, who may act."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from singlewindow.accounts.models import LoginMethod, Role
from singlewindow.audit.models import AuditEvent
from singlewindow.machines import Refused
from singlewindow.policies import services, tally
from singlewindow.policies.models import Agreement, Confirmation, Policy, PolicyStatus, Scheme
from singlewindow.policies.transitions import POLICY, TRANSITIONS

IP = "203.0.113.7"
DAY = dt.timedelta(days=1)
REASONS = {"return": "联系电话无法接通，请核实后重新确认。", "decline": "企业已另行投保。", "cancel": "企业已注销。",
           "lapse": "确认截止日已过", "expire": "保险期间届满"}
CONTACT = {"contact_name": "李锐", "contact_phone": "13729230657"}


def path_to(status):
    """The shortest list of actions from 待确认 (where issue leaves a policy) to `status`, by the table."""
    path = POLICY.path(PolicyStatus.PENDING, status)
    if path is None:
        raise AssertionError(f"no path in POLICY reaches {status}")
    return path


REFUSED = [(a, s) for a, t in TRANSITIONS.items() for s in PolicyStatus if s not in t.sources]
ALLOWED = [(a, s) for a, t in TRANSITIONS.items() for s in sorted(t.sources)]
WRONG_ROLE = [(a, r) for a, t in TRANSITIONS.items() if t.actor_role for r in Role if r != t.actor_role]


def events_for(policy):
    return AuditEvent.objects.filter(object_type="policies.policy", object_id=str(policy.pk))


@pytest.fixture
def users(world):
    return {Role.ENTERPRISE: world.demo, Role.INSURER: world.insurer, Role.BUREAU: world.bureau,
            Role.STAFF: world.admin, None: None}


@pytest.fixture
def act(world, users):
    """Do `action` to a policy as its rightful party (or `actor`) with valid input; the jobs run past their date."""
    scheme = world.scheme

    def act(action, policy, actor="rightful"):
        user = users[TRANSITIONS[action].actor_role] if actor == "rightful" else actor
        if action == "confirm":
            return services.confirm(user, policy.pk, **CONTACT, agreement_sha256=scheme.agreement.sha256, ip=IP)
        if action == "approve":
            return services.approve(user, policy.pk, ip=IP)
        if action == "return":
            return services.return_policy(user, policy.pk, reason=REASONS[action], ip=IP)
        if action == "decline":
            return services.decline(user, policy.pk, reason=REASONS[action], ip=IP)
        if action == "cancel":
            return services.cancel(user, policy.pk, reason=REASONS[action], ip=IP)
        if action == "lapse":
            return services.lapse_overdue(today=scheme.confirm_deadline + DAY)
        if action == "expire":
            return services.expire_ended(today=scheme.cover_end + DAY)
        raise AssertionError(f"the test does not know how to {action}")

    return act


@pytest.fixture
def policy_in(world, act):
    """demo's policy moved into `status` by the real services, along the table's shortest path."""

    def policy_in(status):
        for action in path_to(status):
            act(action, world.pending)
        world.pending.refresh_from_db()
        assert world.pending.status == status
        return world.pending

    return policy_in


def test_every_status_is_reachable_from_issue():
    assert path_to(PolicyStatus.PENDING) == []
    assert all(path_to(status) for status in PolicyStatus if status != PolicyStatus.PENDING)


@pytest.mark.parametrize("action,source", ALLOWED)
def test_it_moves_along_every_allowed_edge_with_one_audit_event(world, users, act, policy_in, action, source):
    policy = policy_in(source)
    before = events_for(policy).count()
    act(action, policy)
    policy.refresh_from_db()
    transition = TRANSITIONS[action]
    assert policy.status == transition.target
    assert events_for(policy).count() == before + 1
    event = events_for(policy).latest("id")
    actor = users[transition.actor_role]
    assert (event.action, event.from_status, event.to_status) == (f"policy.{action}", source, transition.target)
    assert event.actor == actor
    assert event.actor_label == (actor.username if actor else "system")
    assert event.reason == REASONS.get(action, "")
    if action in REASONS:
        assert policy.last_reason == REASONS[action]
    assert tally.differences() == []  # the per-(scheme, county, status) tally moved with it, calendar too


@pytest.mark.parametrize("action,status", REFUSED)
def test_it_refuses_every_edge_not_in_the_table(policy_in, act, action, status):
    policy = policy_in(status)
    before = events_for(policy).count()
    if TRANSITIONS[action].actor_role:
        with pytest.raises(Refused, match="不能|无需重复操作"):
            act(action, policy)
    else:
        act(action, policy)  # the job passes over a policy it may not move
    policy.refresh_from_db()
    assert policy.status == status
    assert events_for(policy).count() == before
    assert tally.differences() == []


@pytest.mark.parametrize("action,role", WRONG_ROLE)
def test_it_refuses_a_party_whose_role_may_not_act(policy_in, act, users, action, role):
    policy = policy_in(min(TRANSITIONS[action].sources))
    before = (policy.status, events_for(policy).count())
    with pytest.raises(PermissionDenied):
        act(action, policy, actor=users[role])
    policy.refresh_from_db()
    assert (policy.status, events_for(policy).count()) == before


@pytest.mark.parametrize("action", ["approve", "return", "cancel"])
def test_it_hides_policies_from_an_insurer_outside_the_region(world, policy_in, act, action):
    policy = policy_in(PolicyStatus.CONFIRMED)
    with pytest.raises(Policy.DoesNotExist):
        act(action, policy, actor=world.other_insurer)
    policy.refresh_from_db()
    assert policy.status == PolicyStatus.CONFIRMED


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_it_refuses_another_enterprise(world, act, action):
    with pytest.raises(Policy.DoesNotExist):
        act(action, world.pending, actor=world.demo2)
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.PENDING
    assert not events_for(world.pending).exclude(action="policy.issue").exists()


def test_a_colleague_of_the_same_enterprise_may_confirm(world, act):
    act("confirm", world.pending, actor=world.colleague)
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.CONFIRMED
    assert world.pending.confirmations.get().user == world.colleague


@pytest.mark.parametrize("action,source", [("return", "confirmed"), ("cancel", "pending"), ("decline", "pending")])
@pytest.mark.parametrize("reason,message", [
    ("", "请填写原因"), ("   ", "请填写原因"), ("很" * 501, "不能超过500个字"), ("<b>不予承保</b>", "标记"),
    ("原因\x07", "控制字符"),
])
def test_it_requires_a_clean_reason(world, users, policy_in, action, source, reason, message):
    policy = policy_in(source)
    before = events_for(policy).count()
    do = {"return": services.return_policy, "cancel": services.cancel, "decline": services.decline}[action]
    with pytest.raises(ValidationError) as refused:
        do(users[TRANSITIONS[action].actor_role], policy.pk, reason=reason)
    assert message in " ".join(refused.value.message_dict["reason"])
    policy.refresh_from_db()
    assert (policy.status, events_for(policy).count()) == (source, before)


@pytest.mark.parametrize("action,source", [("return", "returned"), ("return", "effective"), ("cancel", "cancelled"),
                                           ("cancel", "expired"), ("decline", "declined"), ("decline", "confirmed")])
@pytest.mark.parametrize("reason", ["", "很" * 501, "<b>不予承保</b>"])
def test_a_policy_in_the_wrong_state_is_told_its_state_whatever_the_reason(world, users, policy_in, action, source,
                                                                          reason):
    policy = policy_in(source)
    before = events_for(policy).count()
    do = {"return": services.return_policy, "cancel": services.cancel, "decline": services.decline}[action]
    with pytest.raises(Refused, match="当前状态为|无需重复操作") as refused:
        do(users[TRANSITIONS[action].actor_role], policy.pk, reason=reason)
    assert policy.number in str(refused.value)
    policy.refresh_from_db()
    assert (policy.status, events_for(policy).count()) == (source, before)


def test_a_reason_of_exactly_500_characters_is_kept_trimmed(world, policy_in):
    policy = policy_in(PolicyStatus.CONFIRMED)
    services.return_policy(world.insurer, policy.pk, reason=f"  {'很' * 500}  ")
    policy.refresh_from_db()
    assert policy.last_reason == "很" * 500
    assert events_for(policy).latest("id").reason == "很" * 500


# --- confirm: what the enterprise must give -----------------------------------

def confirm(world, **overrides):
    fields = {**CONTACT, "agreement_sha256": world.scheme.agreement.sha256, "ip": IP, **overrides}
    return services.confirm(world.demo, world.pending.pk, **fields)


def assert_untouched(world):
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.PENDING
    assert (world.pending.contact_name, world.pending.contact_phone) == ("", "")
    assert not Confirmation.objects.filter(policy=world.pending).exists()
    assert not events_for(world.pending).exclude(action="policy.issue").exists()


@pytest.mark.parametrize("field,value,message", [
    ("contact_name", "", "请填写联系人"),
    ("contact_name", "   ", "请填写联系人"),
    ("contact_name", "李" * 51, "不能超过50个字"),
    ("contact_name", "<script>alert(1)</script>", "标记"),
    ("contact_phone", "", "请填写联系电话"),
    ("contact_phone", "3379016", "联系电话格式不正确"),
    ("contact_phone", "12345678901", "联系电话格式不正确"),
    ("contact_phone", "0660-33790", "联系电话格式不正确"),
])
def test_confirm_refuses_invalid_contacts_and_changes_nothing(world, field, value, message):
    with pytest.raises(ValidationError) as refused:
        confirm(world, **{field: value})
    assert message in " ".join(refused.value.message_dict[field])
    assert_untouched(world)


@pytest.mark.parametrize("name,phone,stored_phone", [
    ("李" * 50, "13729230657", "13729230657"),
    ("  李锐 ", "0660-3379016", "0660-3379016"),
    ("李锐", "+86 137 2923 0657", "13729230657"),
])
def test_confirm_stores_normalised_contacts(world, name, phone, stored_phone):
    confirm(world, contact_name=name, contact_phone=phone)
    world.pending.refresh_from_db()
    assert (world.pending.contact_name, world.pending.contact_phone) == (name.strip(), stored_phone)


def test_confirm_requires_the_agreement_to_be_accepted(world):
    with pytest.raises(ValidationError) as refused:
        confirm(world, agreement_sha256="")
    assert "请先阅读并同意《中国出口信用保险公司客户网上服务协议》" in refused.value.message_dict["agreement"][0]
    assert_untouched(world)


def test_confirm_refuses_an_agreement_replaced_since_the_page_was_read(world):
    read = world.scheme.agreement.sha256
    newer = Agreement.objects.create(version="2026.2", title=world.scheme.agreement.title, body="修订后的协议正文")
    Scheme.objects.filter(pk=world.scheme.pk).update(agreement=newer)
    with pytest.raises(ValidationError) as refused:
        confirm(world, agreement_sha256=read)
    assert "agreement" in refused.value.message_dict
    assert_untouched(world)


def test_confirm_is_allowed_on_the_deadline_day_itself(world):
    Scheme.objects.filter(pk=world.scheme.pk).update(confirm_deadline=timezone.localdate())
    confirm(world)
    world.pending.refresh_from_db()
    assert world.pending.status == PolicyStatus.CONFIRMED


def test_confirm_is_refused_after_the_deadline(world):
    yesterday = timezone.localdate() - DAY
    Scheme.objects.filter(pk=world.scheme.pk).update(confirm_deadline=yesterday)
    with pytest.raises(ValidationError) as refused:
        confirm(world)
    assert f"确认截止日（{yesterday.isoformat()}，含当日）已过" in refused.value.message_dict["__all__"][0]
    assert_untouched(world)


def test_a_second_confirm_answers_already_done(world):
    confirm(world)
    with pytest.raises(Refused, match=f"保单 {world.pending.number} 已是“审批中”状态，无需重复操作"):
        confirm(world)
    assert events_for(world.pending).filter(action="policy.confirm").count() == 1
    assert Confirmation.objects.filter(policy=world.pending).count() == 1


def test_confirmation_records_who_from_where_and_what_was_accepted(world):
    confirm(world, login_method=LoginMethod.PASSWORD, user_agent="Mozilla/5.0 (Windows NT 10.0)",
            contact_email="a@b.cn")
    row = Confirmation.objects.get(policy=world.pending)
    agreement = world.scheme.agreement
    assert (row.user, row.ip, row.login_method, row.user_agent) == (
        world.demo, IP, LoginMethod.PASSWORD, "Mozilla/5.0 (Windows NT 10.0)")
    assert (row.agreement.version, row.agreement_sha256) == (agreement.version, agreement.sha256)
    assert len(row.agreement_sha256) == 64
    assert (row.contact_name, row.contact_phone, row.contact_email) == ("李锐", "13729230657", "a@b.cn")
    assert events_for(world.pending).latest("id").data == {"agreement": agreement.version, "login_method": "password"}


# --- approve: the cover period ---------------------------------------------------

def test_approve_starts_cover_today_when_the_scheme_has_started(world, policy_in):
    policy = policy_in(PolicyStatus.CONFIRMED)
    Scheme.objects.filter(pk=world.scheme.pk).update(cover_start=timezone.localdate() - 30 * DAY)
    services.approve(world.insurer, policy.pk)
    policy.refresh_from_db()
    assert (policy.cover_start, policy.cover_end) == (timezone.localdate(), world.scheme.cover_end)


def test_approve_starts_cover_at_the_scheme_start_when_that_is_later(world, policy_in):
    policy = policy_in(PolicyStatus.CONFIRMED)
    start = timezone.localdate() + 10 * DAY
    Scheme.objects.filter(pk=world.scheme.pk).update(cover_start=start)
    services.approve(world.insurer, policy.pk)
    policy.refresh_from_db()
    assert (policy.cover_start, policy.cover_end) == (start, world.scheme.cover_end)


def test_approve_is_refused_once_the_scheme_cover_has_ended(world, policy_in):
    policy = policy_in(PolicyStatus.CONFIRMED)
    Scheme.objects.filter(pk=world.scheme.pk).update(cover_end=timezone.localdate() - DAY)
    with pytest.raises(Refused, match="保险期间已于"):
        services.approve(world.insurer, policy.pk)
    policy.refresh_from_db()
    assert (policy.status, policy.cover_start) == (PolicyStatus.CONFIRMED, None)
