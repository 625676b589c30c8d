"""The common state-machine helper every status field uses."""
import pytest
from django.db import models

from singlewindow.machines import Machine, Refused, Transition


class Light(models.TextChoices):
    RED = "red", "红"
    GREEN = "green", "绿"
    OFF = "off", "关"


MACHINE = Machine(Light, [
    Transition("go", frozenset({Light.RED}), Light.GREEN, label="放行"),
    Transition("stop", frozenset({Light.GREEN}), Light.RED, label="停止"),
    Transition("switch_off", frozenset({Light.RED, Light.GREEN}), Light.OFF, label="关闭"),
])


def test_edges_list_every_allowed_and_refused_pair_once():
    allowed, refused = MACHINE.edges()
    assert sorted(allowed) == [("go", "red"), ("stop", "green"), ("switch_off", "green"), ("switch_off", "red")]
    assert len(allowed) + len(refused) == 3 * 3


def test_a_repeated_action_is_already_done_and_another_is_refused_by_state():
    with pytest.raises(Refused) as already:
        MACHINE.check("go", Light.GREEN, subject="灯 1 ")
    assert already.value.code == "already" and "已是“绿”状态" in already.value.message
    with pytest.raises(Refused) as state:
        MACHINE.check("go", Light.OFF)
    assert state.value.code == "state" and "不能放行" in str(state.value)


def test_a_table_naming_an_unknown_status_fails_at_import():
    with pytest.raises(AssertionError):
        Machine(Light, [Transition("melt", frozenset({"blue"}), Light.OFF)])


def test_a_path_is_the_shortest_walk_the_table_allows():
    from singlewindow.policies.models import PolicyStatus as S
    from singlewindow.policies.transitions import POLICY

    assert POLICY.path(S.PENDING, S.PENDING) == []
    assert POLICY.path(S.PENDING, S.EFFECTIVE) == ["confirm", "approve"]
    assert POLICY.path(S.PENDING, S.EXPIRED) == ["confirm", "approve", "expire"]
    assert POLICY.path(S.DECLINED, S.PENDING) is None  # nothing leads back from a final status
