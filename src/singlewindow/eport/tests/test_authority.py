"""The card authority: its CA, the issue / revoke / unlock commands, and the demo cards."""
import io

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import CommandError, call_command

from cardagent.card import MAX_PIN_TRIES, CardError, WrongPin
from cardagent.card import Card as CardFile
from singlewindow.audit.models import AuditEvent
from singlewindow.eport.authority import authority
from singlewindow.eport.demo import DEMO_CARDS, has_password_account
from singlewindow.eport.models import Card, CardKind, CardStatus
from singlewindow.portal.demo import print_logins


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_ca_is_created_once_under_the_eport_dir_with_its_key_readable_by_the_owner_only(db):
    ca = authority()
    directory = settings.EPORT_DIR / "ca"
    assert (directory / "ca.pem").read_text() == ca.pem
    assert oct((directory / "ca.key").stat().st_mode & 0o777) == "0o600"
    assert ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert authority().pem == ca.pem


def test_the_issue_command_writes_a_card_sealed_by_its_pin_whose_certificate_names_enterprise_card_and_holder(
        world, tmp_path):
    path = tmp_path / "op.card"
    enterprise = world.demo.enterprise
    out = run("eport_issue_card", "--uscc", enterprise.uscc, "--kind", "operator", "--holder", "吴敏",
              "--out", str(path), "--pin", "13572468")
    card = Card.objects.get(holder="吴敏")
    assert f"issued 操作员卡 {card.number}" in out and card.kind == CardKind.OPERATOR
    certificate = x509.load_pem_x509_certificate(CardFile(path).info()["certificate"].encode())
    subject = {attribute.oid: attribute.value for attribute in certificate.subject}
    assert (subject[NameOID.ORGANIZATION_IDENTIFIER], subject[NameOID.SERIAL_NUMBER], subject[NameOID.COMMON_NAME],
            subject[NameOID.ORGANIZATION_NAME]) == (enterprise.uscc, card.number, "吴敏", enterprise.name)
    assert certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "13572468" not in path.read_text()
    with pytest.raises(WrongPin):
        CardFile(path).verify_pin("00000000")
    assert CardFile(path).verify_pin("13572468")
    assert AuditEvent.objects.filter(action="eport.issue", object_id=str(card.pk)).exists()


def test_the_issue_command_refuses_a_malformed_uscc_and_a_short_pin(world, tmp_path):
    with pytest.raises(CommandError, match="统一社会信用代码"):
        run("eport_issue_card", "--uscc", "91441502MA0000000X", "--holder", "吴敏", "--ent-name", "某公司",
            "--out", str(tmp_path / "x.card"), "--pin", "13572468")
    with pytest.raises(CommandError, match="卡密码须为6至16位"):
        run("eport_issue_card", "--uscc", world.demo.enterprise.uscc, "--holder", "吴敏",
            "--out", str(tmp_path / "x.card"), "--pin", "123")
    assert not (tmp_path / "x.card").exists()


def test_the_revoke_command_revokes_once(demo_card):
    out = run("eport_revoke_card", demo_card.card.number, "--reason", "卡片遗失")
    card = Card.objects.get(pk=demo_card.card.pk)
    assert f"revoked {card.number}" in out and (card.status, card.revoke_reason) == (CardStatus.REVOKED, "卡片遗失")
    with pytest.raises(CommandError, match="已注销"):
        run("eport_revoke_card", card.number, "--reason", "again")


def test_a_card_locked_by_ten_wrong_pins_is_unlocked_by_the_authority_only(demo_card, issue, tmp_path):
    for _ in range(MAX_PIN_TRIES):
        with pytest.raises(CardError):
            demo_card.file.verify_pin("00000000")
    assert demo_card.file.pin_state()["locked"]
    assert f"unlocked {demo_card.card.number}" in run("eport_unlock_card", str(demo_card.path))
    assert demo_card.file.verify_pin(demo_card.pin)
    # A card file the authority has no record of (another authority's card, or a tampered copy) stays locked.
    stranger = issue()
    Card.objects.filter(pk=stranger.card.pk).update(fingerprint="0" * 64)
    with pytest.raises(CommandError, match="不是本机构签发的卡"):
        run("eport_unlock_card", str(stranger.path))


def test_the_demo_issues_both_kinds_of_card_to_the_demo_enterprise_and_to_one_without_a_password_account(world):
    by_owner = {}
    for card in Card.objects.all():
        by_owner.setdefault(card.uscc, set()).add(card.kind)
    cardonly = next(uscc for uscc in by_owner if uscc != world.demo.enterprise.uscc)
    assert by_owner == {world.demo.enterprise.uscc: {"legal", "operator"}, cardonly: {"legal", "operator"}}
    assert not has_password_account(world.demo.enterprise.__class__.objects.get(uscc=cardonly))
    out = io.StringIO()
    print_logins(out)
    for filename, _who, _kind, _holder, pin in DEMO_CARDS:
        assert f"卡密码 {pin}" in out.getvalue() and filename in out.getvalue()
