"""The card file: our stand-in for the e-port IC card's chip.

A card holds a private key and the certificate the e-port authority issued for it. The private key is
sealed under the PIN (scrypt, then AES-256-GCM with the card number as associated data), so nothing
signs without the PIN. Wrong PINs are counted on the card itself: the counter is written back to the file
before the answer goes out, a right PIN clears it, and the tenth wrong PIN in a row locks the card until
the authority resets it (`reset_pin_counter`, used by the authority's `eport_unlock_card` command).

A file cannot resist someone who edits it the way a chip resists probing; the file format is the chip's
interface, not its tamper resistance. The authority writes cards with `write_card`; the agent only reads
them and updates the PIN counter.
"""
import base64
import json
import os
import secrets
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "sw-eport-card/1"
ALGORITHM = "ecdsa-p256-sha256"
MAX_PIN_TRIES = 10
KINDS = {"legal": "法人卡", "operator": "操作员卡"}


class CardError(Exception):
    """A refusal the agent reports as `Result: false` with a Chinese message and a code."""

    code = "1000"
    message = "读卡失败"

    def __init__(self, message=None):
        super().__init__(message or self.message)
        self.message = message or self.message


class NoCard(CardError):
    code = "1001"
    message = "未检测到电子口岸卡：卡文件不存在或无法读取，请确认已插卡（已指定正确的卡文件）。"


class WrongPin(CardError):
    code = "1002"

    def __init__(self, remaining):
        super().__init__(f"卡密码错误，还可尝试 {remaining} 次；连续输错 {MAX_PIN_TRIES} 次卡将被锁定。")
        self.remaining = remaining


class CardLocked(CardError):
    code = "1003"
    message = f"卡已锁定（卡密码连续输错 {MAX_PIN_TRIES} 次），请到发卡机构解锁。"


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _unb64(text):
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(pin, kdf):
    return Scrypt(salt=_unb64(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(pin.encode())


def _write_atomically(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_pin_format(pin):
    if not isinstance(pin, str) or not (6 <= len(pin) <= 16) or not pin.isascii() or not pin.isprintable():
        raise ValueError("卡密码须为6至16位字母或数字")


def write_card(path, *, private_key, certificate_pem, ca_certificate_pem, card_no, kind, uscc, ent_name, holder,
               pin, kdf_n=2**15):
    """Write a new card file whose private key only the PIN opens."""
    check_pin_format(pin)
    if kind not in KINDS:
        raise ValueError(f"unknown card kind {kind!r}")
    kdf = {"name": "scrypt", "n": kdf_n, "r": 8, "p": 1, "salt": _b64(secrets.token_bytes(16))}
    nonce = secrets.token_bytes(12)
    key_der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    sealed = AESGCM(_derive(pin, kdf)).encrypt(nonce, key_der, card_no.encode())
    _write_atomically(path, {
        "format": FORMAT,
        "card_no": card_no,
        "kind": kind,
        "uscc": uscc,
        "ent_name": ent_name,
        "holder": holder,
        "algorithm": ALGORITHM,
        "certificate": certificate_pem,
        "ca_certificate": ca_certificate_pem,
        "key": {"kdf": kdf, "cipher": "aes-256-gcm", "nonce": _b64(nonce), "sealed": _b64(sealed)},
        "pin": {"failures": 0, "max": MAX_PIN_TRIES, "locked": False},
    })
    return Path(path)


def reset_pin_counter(path):
    """The authority's unlock: clear the wrong-PIN counter and the lock. Returns the card number."""
    card = Card(path)
    data = card.read()
    data["pin"] = {"failures": 0, "max": MAX_PIN_TRIES, "locked": False}
    _write_atomically(card.path, data)
    return data["card_no"]


class Card:
    """One card file, read afresh for every request (as a reader sees a card being pulled out)."""

    def __init__(self, path):
        self.path = Path(path)

    def read(self):
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise NoCard() from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise NoCard()
        return data

    def info(self):
        data = self.read()
        return {name: data[name] for name in ("card_no", "kind", "uscc", "ent_name", "holder", "algorithm",
                                               "certificate")}

    def pin_state(self):
        return dict(self.read()["pin"])

    def _open(self, pin):
        """The private key, if `pin` is right; counts a wrong PIN on the card and locks at the limit."""
        data = self.read()
        state = data["pin"]
        if state.get("locked"):
            raise CardLocked()
        try:
            if not isinstance(pin, str) or not pin:
                raise InvalidTag
            key_der = AESGCM(_derive(pin, data["key"]["kdf"])).decrypt(
                _unb64(data["key"]["nonce"]), _unb64(data["key"]["sealed"]), data["card_no"].encode()
            )
        except InvalidTag:
            state["failures"] = int(state.get("failures", 0)) + 1
            state["locked"] = state["failures"] >= MAX_PIN_TRIES
            _write_atomically(self.path, data)
            if state["locked"]:
                raise CardLocked() from None
            raise WrongPin(MAX_PIN_TRIES - state["failures"]) from None
        if state.get("failures"):
            state["failures"] = 0
            _write_atomically(self.path, data)
        return serialization.load_der_private_key(key_der, password=None)

    def verify_pin(self, pin):
        self._open(pin)
        return True

    def sign(self, data: bytes, pin):
        """An ECDSA P-256 / SHA-256 signature (DER), base64: what SpcSignDataAsPEM returns."""
        key = self._open(pin)
        return _b64(key.sign(data, ec.ECDSA(hashes.SHA256())))

    def certificate(self):
        return x509.load_pem_x509_certificate(self.read()["certificate"].encode())
