"""The indemnity and the recovery shares, for any figures (hypothesis), against the rules as the issue states them."""
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from singlewindow.claims import indemnity

cents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10), places=6)
ratios = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)


def half_up(fraction):
    """Rounding to the cent done with exact fractions, independently of the module under test."""
    scaled = fraction * 100
    floor = scaled.numerator // scaled.denominator
    return Decimal(floor + (1 if scaled - floor >= Fraction(1, 2) else 0)) / 100


@given(amount=cents, rate=rates, ratio=ratios, maximum=cents, already=cents)
def test_the_indemnity_is_the_smaller_of_the_ratio_and_what_remains_never_negative_and_exact(
        amount, rate, ratio, maximum, already):
    result = indemnity.compute(amount=amount, currency="EUR", usd_rate=rate, rate_date="2026-12-01", ratio=ratio,
                               maximum_usd=maximum, already_usd=already)
    loss = half_up(Fraction(amount) * Fraction(rate))
    by_ratio = half_up(Fraction(loss) * Fraction(ratio) / 100)
    remaining = max(maximum - already, Decimal(0))
    assert result.loss_usd == loss
    assert result.indemnity_usd == min(by_ratio, remaining)
    assert Decimal(0) <= result.indemnity_usd <= remaining
    assert result.indemnity_usd == result.indemnity_usd.quantize(Decimal("0.01"))
    assert result.lines[-1][2] == f"USD {result.indemnity_usd:,.2f}"  # the working ends on what is paid


def test_half_a_cent_rounds_up_and_the_working_says_each_step():
    result = indemnity.compute(amount=Decimal("100.00"), currency="EUR", usd_rate=Decimal("1.084375"),
                               rate_date="2026-11-30", ratio=Decimal(80), maximum_usd=Decimal(150000),
                               already_usd=Decimal(0))
    assert result.loss_usd == Decimal("108.44")  # 108.4375 → 108.44
    assert result.indemnity_usd == Decimal("86.75")  # 86.752 → 86.75
    what = [line[0] for line in result.lines]
    assert what == ["核定损失", "按赔偿比例", "剩余赔偿限额", "赔款"]
    assert "1.084375" in result.lines[0][1] and "2026-11-30" in result.lines[0][1]


def test_a_policy_year_with_nothing_left_pays_nothing():
    result = indemnity.compute(amount=Decimal(5000), currency="USD", usd_rate=Decimal(1), rate_date="2026-11-30",
                               ratio=Decimal(80), maximum_usd=Decimal(150000), already_usd=Decimal(160000))
    assert result.remaining_usd == Decimal("0.00") and result.indemnity_usd == Decimal("0.00")


@given(amounts=st.lists(cents, min_size=1, max_size=6), ratio=ratios, paid=cents)
def test_recoveries_add_up_and_the_insurer_never_gets_back_more_than_it_paid(amounts, ratio, paid):
    insurer_total = Decimal(0)
    for amount in amounts:
        shares = indemnity.recovery_shares(amount_usd=amount, ratio=ratio, indemnity_usd=paid,
                                           insurer_before_usd=insurer_total)
        assert shares.insurer_usd + shares.enterprise_usd == amount
        assert shares.insurer_usd >= 0 and shares.enterprise_usd >= 0
        assert shares.insurer_usd <= (amount * ratio / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        insurer_total += shares.insurer_usd
    assert insurer_total <= paid


@given(amount=cents, rate=rates, ratio=ratios, maximum=cents, already=cents)
def test_the_working_kept_as_figures_reads_back_exactly_as_computed(amount, rate, ratio, maximum, already):
    """Claim.working keeps the figures (JSON), not the lines: read back, every amount is the same Decimal and the
    lines are the same text, nothing computed again."""
    result = indemnity.compute(amount=amount, currency="EUR", usd_rate=rate, rate_date="2026-12-01", ratio=ratio,
                               maximum_usd=maximum, already_usd=already)
    kept = indemnity.Indemnity.from_json(json.loads(json.dumps(result.as_json())))
    assert kept == result and kept.lines == result.lines
    for name in indemnity.FIGURES:
        assert str(getattr(kept, name)) == str(getattr(result, name))  # the same digits, the same exponent
