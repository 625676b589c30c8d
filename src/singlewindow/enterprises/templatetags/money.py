"""{{ amount|money }}: money as the portal writes it, in 元 and in US dollars alike (150,000.00 美元, 1,200.00 元)."""
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


def format_money(amount):
    """An amount with thousands separated by commas and two decimals (2,999,999.99), in every language.
    The one statement of it: the |money filter and the eligibility messages (enterprises/eligibility.py) call it."""
    return f"{Decimal(amount):,.2f}"


@register.filter
def money(value):
    try:
        return format_money(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
