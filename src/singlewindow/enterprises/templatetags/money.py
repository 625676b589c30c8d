"""{{ amount|usd }}: US dollars with thousands separators and cents, as the eligibility messages write them."""
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def usd(value):
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return value
