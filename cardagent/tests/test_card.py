import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from cardagent.card import MAX_PIN_TRIES, Card, CardLocked, NoCard, WrongPin, reset_pin_counter


def test_a_right_pin_signs_and_the_certificate_verifies_the_signature(card_file, pin):
    card = Card(card_file)
    signature = base64.b64decode(card.sign("挑战".encode(), pin))
    card.certificate().public_key().verify(signature, "挑战".encode(), ec.ECDSA(hashes.SHA256()))


def test_a_wrong_pin_is_counted_on_the_card_and_a_right_one_clears_the_count(card_file, pin):
    card = Card(card_file)
    with pytest.raises(WrongPin) as wrong:
        card.verify_pin("00000000")
    assert wrong.value.remaining == MAX_PIN_TRIES - 1
    assert Card(card_file).pin_state()["failures"] == 1  # written to the file, not kept in memory
    assert card.verify_pin(pin)
    assert Card(card_file).pin_state()["failures"] == 0


def test_ten_wrong_pins_in_a_row_lock_the_card_even_against_the_right_pin(card_file, pin):
    card = Card(card_file)
    for _ in range(MAX_PIN_TRIES - 1):
        with pytest.raises(WrongPin):
            card.verify_pin("00000000")
    with pytest.raises(CardLocked):
        card.verify_pin("00000000")
    with pytest.raises(CardLocked):
        card.sign(b"data", pin)
    assert Card(card_file).pin_state() == {"failures": MAX_PIN_TRIES, "max": MAX_PIN_TRIES, "locked": True}


def test_the_authoritys_reset_unlocks_a_locked_card(card_file, pin):
    card = Card(card_file)
    for _ in range(MAX_PIN_TRIES):
        with pytest.raises((WrongPin, CardLocked)):
            card.verify_pin("00000000")
    assert reset_pin_counter(card_file) == "EP10000000001"
    assert card.verify_pin(pin)


def test_the_card_file_holds_neither_the_pin_nor_the_plain_private_key(card_file, pin):
    text = card_file.read_text()
    data = json.loads(text)
    assert pin not in text
    assert "PRIVATE KEY" not in text
    assert set(data["key"]) == {"kdf", "cipher", "nonce", "sealed"}
    assert oct(card_file.stat().st_mode & 0o777) == "0o600"


def test_a_missing_card_file_reads_as_no_card(tmp_path):
    with pytest.raises(NoCard):
        Card(tmp_path / "nowhere.card").info()
