"""The one rule for the shares (services.split): to the fen, the province's half up, the city the rest."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from singlewindow.subsidies.services import payer_regions, shares_of, split

premiums = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
percents = st.decimals(min_value=0, max_value=100, places=2)


@given(premium=premiums, share=percents)
def test_the_two_shares_add_up_to_the_premium_exactly(premium, share):
    province, city = split(premium, share)
    assert province + city == premium
    assert province == province.quantize(Decimal("0.01")) and city == city.quantize(Decimal("0.01"))
    assert 0 <= province <= premium and 0 <= city <= premium


@given(premium=premiums, share=percents)
def test_the_province_share_is_the_exact_share_rounded_half_up_to_the_fen(premium, share):
    province, _city = split(premium, share)
    exact = Fraction(premium) * Fraction(share) / 100
    fen = Fraction(1, 100)
    # half up: the nearest fen, and a tie (exactly half a fen) goes up, never down
    assert abs(Fraction(province) - exact) <= fen / 2
    if abs(Fraction(province) - exact) == fen / 2:
        assert Fraction(province) > exact


@pytest.mark.parametrize("premium, share, province, city", [
    ("1200.00", "80", "960.00", "240.00"),  # the demo's scheme: 80 % / 20 %
    ("0.01", "50", "0.01", "0.00"),  # half a fen goes up to the province; the city gets the remainder
    ("0.03", "50", "0.02", "0.01"),
    ("100.00", "33.33", "33.33", "66.67"),
    ("1000.01", "33.33", "333.30", "666.71"),  # 333.3033… rounds down
    ("0.05", "10", "0.01", "0.04"),  # 0.005 is a tie: up
    ("1200.00", "100", "1200.00", "0.00"),
    ("1200.00", "0", "0.00", "1200.00"),
])
def test_worked_examples(premium, share, province, city):
    assert split(Decimal(premium), Decimal(share)) == (Decimal(province), Decimal(city))


def test_a_payer_with_no_share_gets_no_entry():
    assert [payer for payer, *_rest in shares_of(Decimal(1200), Decimal(100), "441500", "441521")] == ["province"]
    assert shares_of(Decimal(0), Decimal(80), "441500", "441521") == []


def test_the_city_of_a_city_scheme_pays_and_each_city_pays_for_a_province_wide_scheme():
    assert payer_regions("441500", "441521") == {"province": "440000", "city": "441500"}
    assert payer_regions("441521", "441521") == {"province": "440000", "city": "441500"}  # a county's scheme
    assert payer_regions("440000", "440103") == {"province": "440000", "city": "440100"}
