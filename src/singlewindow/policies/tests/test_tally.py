"""The policy tally: kept by every move (test_transitions and test_batch_issuance check it after each edge
and batch), checked and rebuilt by `manage.py tally_policies`."""
import pytest
from django.core.management import CommandError, call_command

from singlewindow.policies import tally
from singlewindow.policies.models import PolicyTally


def test_the_demo_worlds_tally_agrees_with_its_policies(world):
    assert tally.differences() == []


def test_the_command_says_where_the_tally_went_wrong_and_rebuilds_it(world, capsys):
    cell = PolicyTally.objects.filter(count__gt=0).first()
    PolicyTally.objects.filter(pk=cell.pk).update(count=cell.count + 5)
    with pytest.raises(CommandError, match="1 cells of the tally differ"):
        call_command("tally_policies")
    assert f"{cell.region_id} {cell.status}: kept ({cell.count + 5}," in capsys.readouterr().out
    call_command("tally_policies", "--rebuild")
    assert tally.differences() == []
    call_command("tally_policies")
    assert "the tally agrees with the policies" in capsys.readouterr().out


def test_a_shift_of_many_policies_adds_up_per_cell(world):
    cell = PolicyTally.objects.filter(count__gt=0, status="pending").first()
    before = (cell.count, cell.premium)
    tally.shift([(cell.scheme_id, cell.region_id, None, cell.status, 100)] * 3)
    tally.shift([(cell.scheme_id, cell.region_id, cell.status, "declined", 100)])
    cell.refresh_from_db()
    assert (cell.count, cell.premium) == (before[0] + 2, before[1] + 200)
