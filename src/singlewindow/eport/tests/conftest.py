"""Cards in hand for the e-port tests: the demo cards (files and PINs) and a card login done as the page does it.

`Holder.sign` is what the 客户端控件 does with SpcSignDataAsPEM: the card file signs with its PIN.
"""
import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from cardagent.card import Card as CardFile
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.eport.card_services import issue_card
from singlewindow.eport.demo import DEMO_CARDS, cards_dir
from singlewindow.eport.models import Card, CardAttempt


class Holder:
    """A card in someone's hand: the record, the card file and its PIN."""

    def __init__(self, path, pin):
        self.path, self.pin = path, pin
        self.file = CardFile(path)
        self.card = Card.objects.get(number=self.file.info()["card_no"])

    @property
    def certificate(self):
        return self.card.certificate

    def sign(self, data):
        return self.file.sign(data.encode(), self.pin)


def demo_holder(name):
    filename, _who, _kind, _holder, pin = next(row for row in DEMO_CARDS if row[0] == f"{name}.card")
    return Holder(cards_dir() / filename, pin)


@pytest.fixture
def demo_card(world):
    """The demo enterprise's 法人卡."""
    return demo_holder("demo-legal")


@pytest.fixture
def cardonly_card(world):
    """The 法人卡 of the enterprise that has no password account at all."""
    return demo_holder("cardonly-legal")


@pytest.fixture
def issue(world, tmp_path):
    """Issue a card as the authority does (to the demo enterprise unless told otherwise)."""
    def issue_(kind="operator", holder="赵六", uscc=None, ent_name=None, pin="24682468", **options):
        enterprise = world.demo.enterprise
        path = tmp_path / f"card-{Card.objects.count()}.card"
        issue_card(uscc=uscc or enterprise.uscc, ent_name=ent_name or enterprise.name, holder=holder, kind=kind,
                   pin=pin, path=path, **options)
        return Holder(path, pin)
    return issue_


@pytest.fixture
def unknown_uscc():
    """A well-formed USCC of an enterprise the single window has never heard of."""
    return make_uscc("91", "441581", "77665544")


def ask_challenge(client):
    response = client.post("/eport/challenge/")
    assert response.status_code == 200
    return response.json()


def card_login(client, holder, *, challenge=None, certificate=None, signature=None, follow=True):
    """What the 卡介质 tab does: fetch a challenge, have the card sign it, post certificate and signature."""
    challenge = challenge or ask_challenge(client)
    return client.post("/eport/login/", {
        "challenge": challenge["challenge"], "certificate": certificate or holder.certificate,
        "signature": signature or holder.sign(challenge["data"]),
    }, follow=follow)


def last_attempt():
    return CardAttempt.objects.order_by("-id").first()


@pytest.fixture
def logged_in(world):
    """A client logged in with the given card (through the real card login)."""
    def login(holder):
        client = Client()
        response = card_login(client, holder)
        assert response.status_code == 200 and last_attempt().ok, last_attempt().code
        return SimpleNamespace(client=client, user=Card.objects.get(pk=holder.card.pk).user)
    return login


def long_ago(days):
    return timezone.now() - dt.timedelta(days=days)
