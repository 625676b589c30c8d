"""{{ amount|usd }}: US dollars with thousands separators and cents, as the eligibility messages write them."""
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


def format_usd(amount):
    """A US-dollar amount as the portal writes it: thousands separated by commas, two decimals (2,999,999.99).
    The one statement of it: this filter and the eligibility messages (enterprises/eligibility.py) call it."""
    return f"{Decimal(amount):,.2f}"


@register.filter
def usd(value):
    try:
        return format_usd(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
