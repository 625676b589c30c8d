from hypothesis import given
from hypothesis import strategies as st

from singlewindow.forms import record_id


@given(st.text(max_size=40))
def test_record_id_is_a_small_ascii_number_or_none(value):
    pk = record_id(value)
    assert pk is None or (value.isascii() and value.isdigit() and str(int(value)) and pk == int(value) < 10**9)


def test_record_id_refuses_what_str_isdigit_lets_through():
    assert [record_id(v) for v in ["12", "²", "١٢", "１２", "9" * 30, "", None, "-1", " 1"]] == [
        12, None, None, None, None, None, None, None, None]
