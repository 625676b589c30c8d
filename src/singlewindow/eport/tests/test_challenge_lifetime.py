"""A challenge's lifetime is one rule (services.challenge_lifetime): its expiry, what it signs, what the page is told."""
import datetime as dt

import pytest
from django.test import Client, override_settings

from singlewindow.eport import services
from singlewindow.eport.models import Challenge

from .conftest import ask_challenge


@pytest.mark.parametrize(("configured", "lives"), [(45, 45), (120, 120), (600, 120)])
def test_the_challenge_the_page_and_the_expiry_agree_and_never_pass_two_minutes(db, configured, lives):
    with override_settings(EPORT_CHALLENGE_SECONDS=configured):
        assert services.challenge_lifetime() == dt.timedelta(seconds=lives)
        issued = ask_challenge(Client())
    challenge = Challenge.objects.get(nonce=issued["challenge"])
    assert issued["expires_in"] == lives
    assert challenge.expires_at - challenge.created_at == pytest.approx(dt.timedelta(seconds=lives), abs=dt.timedelta(seconds=1))
    assert challenge.expires_at.isoformat() in issued["data"]
