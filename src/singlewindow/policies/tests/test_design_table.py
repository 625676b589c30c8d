"""DESIGN.md §4's policy table, copied by hand: a wrong table cannot pass its own generated tests.

The rows below are the design's, character for character (from | action (who) | to), but one: cancel also
leaves 已生效 (docs/decisions/0034-cancel-after-effect.md; issues 13 and 14 ask for it). The test reads them as
the design does and asks the machine in policies/transitions.py to be exactly that, labels included.
"""
import re

from singlewindow.accounts.models import Role
from singlewindow.policies.models import Policy, PolicyStatus
from singlewindow.policies.transitions import HOLDING, POLICY, TAKEN_UP, WAITING

DESIGN_TABLE = """
| — | issue (insurer, batch or single) | 待确认 pending |
| pending, returned | confirm (enterprise; contacts valid, current agreement accepted) | 审批中 confirmed |
| confirmed | approve (insurer) | 已生效 effective (cover from approval date to scheme end) |
| confirmed | return with reason (insurer) | 已退回 returned |
| pending, returned | decline with reason (enterprise) | 已放弃 declined |
| pending, confirmed, returned, effective | cancel with reason (insurer) | 已撤销 cancelled |
| pending, returned | confirmation deadline passes (job) | 已过期 lapsed |
| effective | cover ends (job) | 已到期 expired |
"""
# The two rows the design words as events, by the names the table gives their actions.
EVENTS = {"confirmation deadline passes": "lapse", "cover ends": "expire"}
WHO = {"enterprise": Role.ENTERPRISE, "insurer": Role.INSURER, "job": None}


def design_rows():
    for line in DESIGN_TABLE.strip().splitlines():
        sources, action, target = (cell.strip() for cell in line.strip("|").split("|"))
        phrase, who = re.fullmatch(r"(.+?) \((\w+)[;,)]?.*\)", action).groups()
        label, status = target.split()[:2]
        yield sources, EVENTS.get(phrase, phrase.split()[0]), WHO[who], label, status


def test_the_policy_machine_is_the_design_table():
    moves = {action: ({s.strip() for s in sources.split(",")}, who, status)
             for sources, action, who, _label, status in design_rows() if sources != "—"}
    assert {action: (set(t.sources), t.actor_role, t.target) for action, t in POLICY.transitions.items()} == moves


def test_issue_creates_a_pending_policy_and_no_move_leads_there():
    created = [(action, status) for sources, action, _who, _label, status in design_rows() if sources == "—"]
    assert created == [("issue", PolicyStatus.PENDING)]
    assert PolicyStatus.PENDING not in {t.target for t in POLICY.transitions.values()}
    assert Policy._meta.get_field("status").default == PolicyStatus.PENDING


def test_the_statuses_are_the_designs_with_its_chinese_labels():
    labels = {status: label for _sources, _action, _who, label, status in design_rows()}
    assert {status.value: str(status.label) for status in PolicyStatus} == labels


def test_the_groupings_say_what_the_design_means():
    assert WAITING == {PolicyStatus.PENDING, PolicyStatus.RETURNED}  # what 确认投保 may start from
    assert TAKEN_UP == {PolicyStatus.CONFIRMED, PolicyStatus.EFFECTIVE, PolicyStatus.EXPIRED}
    assert HOLDING == WAITING | TAKEN_UP


def test_eligibility_reads_the_same_holding_statuses():
    from singlewindow.enterprises import eligibility

    assert set(eligibility.HOLDING) == HOLDING
