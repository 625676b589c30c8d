"""US dollars are written one way (templatetags/money.format_money): by the |money filter and the eligibility messages."""
from decimal import Decimal

from django.template import Context, Template

from singlewindow.enterprises import eligibility
from singlewindow.enterprises.templatetags.money import format_money


def test_the_filter_and_the_eligibility_messages_write_dollars_alike():
    amount = Decimal("2999999.5")
    assert format_money(amount) == "2,999,999.50"
    assert Template("{% load money %}{{ amount|money }}").render(Context({"amount": amount})) == format_money(amount)
    assert eligibility._usd(amount) == f"USD {format_money(amount)}"
    assert Template("{% load money %}{{ amount|money }}").render(Context({"amount": "n/a"})) == "n/a"
