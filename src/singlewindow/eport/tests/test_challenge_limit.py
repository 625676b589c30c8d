"""Anyone may ask for a 卡介质 login challenge, so one address gets only so many per 10 minutes."""
import datetime as dt

from django.test import Client
from django.utils import timezone

from singlewindow.eport.models import Challenge
from singlewindow.policies.tests.conftest import page_text


def ask(client, ip="203.0.113.7"):
    return client.post("/eport/challenge/", REMOTE_ADDR=ip)


def test_an_address_that_asks_too_often_is_told_to_wait_and_gets_no_challenge(db, settings):
    settings.EPORT_CHALLENGES_PER_ADDRESS = 3
    client = Client()
    assert [ask(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = ask(client)
    assert refused.status_code == 429
    assert refused.json() == {"code": "EP-212",
                              "error": "登录请求过于频繁：同一网络地址10分钟内请求卡介质登录的次数过多，请稍后再试。"}
    assert Challenge.objects.filter(ip="203.0.113.7").count() == 3
    assert ask(Client(), ip="198.51.100.20").status_code == 200  # another address is not held up


def test_the_window_is_ten_minutes(db, settings):
    settings.EPORT_CHALLENGES_PER_ADDRESS = 2
    client = Client()
    assert [ask(client).status_code for _ in range(3)] == [200, 200, 429]
    Challenge.objects.filter(ip="203.0.113.7").update(created_at=timezone.now() - dt.timedelta(minutes=10, seconds=1))
    assert ask(client).status_code == 200


def test_the_refusal_reads_in_english_too(db, settings):
    settings.EPORT_CHALLENGES_PER_ADDRESS = 0
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/eport/challenge/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429 and response.json()["error"].startswith("Too many login requests:")


def test_the_control_page_lists_the_code(db):
    text = page_text(Client().get("/control/"))
    assert "EP-212" in text and "登录请求过于频繁" in text
