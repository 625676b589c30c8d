"""DESIGN.md §4's policy table, copied by hand: a wrong table cannot pass its own generated tests."""
from singlewindow.policies.transitions import POLICY

# from | action (who) | to — word for word from DESIGN.md §4 (issue is a creation, not a move)
DESIGN_TABLE = {
    "confirm": ({"pending", "returned"}, "enterprise", "confirmed"),
    "approve": ({"confirmed"}, "insurer", "effective"),
    "return": ({"confirmed"}, "insurer", "returned"),
    "decline": ({"pending", "returned"}, "enterprise", "declined"),
    "cancel": ({"pending", "confirmed", "returned"}, "insurer", "cancelled"),
    "lapse": ({"pending", "returned"}, None, "lapsed"),
    "expire": ({"effective"}, None, "expired"),
}


def test_the_policy_machine_is_the_design_table():
    assert {
        action: (set(t.sources), t.actor_role, t.target) for action, t in POLICY.transitions.items()
    } == DESIGN_TABLE
