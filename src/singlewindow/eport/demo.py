"""Demo cards (DESIGN.md §8): a 法人卡 and an 操作员卡 for the demo enterprise, and the same for a second
enterprise that has no password account at all (it can only come in by card). Card files are written under
settings.EPORT_DIR/cards; their PINs are printed with the demo logins."""
import os
import sys
from pathlib import Path

from django.conf import settings

from singlewindow.accounts.models import User
from singlewindow.policies.models import Policy, PolicyStatus

from .card_services import issue_card
from .models import Card

# (file name, who, kind, holder, PIN)
DEMO_CARDS = [
    ("demo-legal.card", "demo", "legal", "李锐", "88888888"),
    ("demo-operator.card", "demo", "operator", "王静", "12345678"),
    ("cardonly-legal.card", "cardonly", "legal", None, "66666666"),
    ("cardonly-operator.card", "cardonly", "operator", "周敏", "87654321"),
]


def cards_dir():
    return Path(settings.EPORT_DIR) / "cards"


def has_password_account(enterprise):
    return any(user.password and user.has_usable_password() for user in User.objects.filter(enterprise=enterprise))


def card_only_enterprise(candidates):
    """The first candidate with a 待确认 policy and no account that a password opens."""
    for enterprise in candidates:
        if (Policy.objects.filter(enterprise=enterprise, status=PolicyStatus.PENDING).exists()
                and not has_password_account(enterprise)):
            return enterprise
    return None


def issue_demo_cards(demo, candidates):
    owners = {"demo": demo, "cardonly": card_only_enterprise(candidates)}
    for filename, who, kind, holder, pin in DEMO_CARDS:
        enterprise = owners[who]
        if enterprise is None:
            continue
        issue_card(uscc=enterprise.uscc, ent_name=enterprise.name, kind=kind, pin=pin,
                   holder=holder or enterprise.legal_representative or "法定代表人", path=cards_dir() / filename)


def print_cards(stdout):
    """The demo cards that exist, with their files and PINs."""
    rows = []
    for filename, _who, _kind, _holder, pin in DEMO_CARDS:
        path = cards_dir() / filename
        card = Card.objects.filter(number=_card_number(path)).first() if path.exists() else None
        if card:
            rows.append(f"  {card.get_kind_display()} {card.number} {card.holder:<4} 卡密码 {pin:<9} "
                        f"{card.ent_name}（{card.uscc}）\n      {agent_command(path)}\n")
    if rows:
        stdout.write("电子口岸卡（卡介质登录，先启动客户端控件）/ demo e-port cards (PIN):\n")
        stdout.write("".join(rows) + "\n")


def agent_command(card_path):
    """The command that starts the control for this card, as `make run` serves the demo: the venv's own
    cardagent (installed with the project) allowing the demo's origin on the port in use ($PORT)."""
    agent = Path(sys.executable).parent / "cardagent"
    try:
        agent = agent.relative_to(Path.cwd())
    except ValueError:
        pass
    port = os.environ.get("PORT", "8000")
    return f"{agent} --card {card_path} --allow-origin http://127.0.0.1:{port} --allow-origin http://localhost:{port}"


def _card_number(path):
    from cardagent.card import Card as CardFile
    from cardagent.card import CardError

    try:
        return CardFile(path).info()["card_no"]
    except CardError:
        return None
