"""Cursor pagination: `limit` (1–100, default 20) and `after` (the `next_cursor` of the page before).

Newest first, keyset on the primary key: a page is `id < cursor's id ORDER BY id DESC LIMIT limit + 1`, so a
walk sees every row that existed when it started exactly once, whatever is added meanwhile (new rows have larger
ids and come before the walk's start). The cursor is opaque: signed, and bound to the list it came from.
"""
from django.core import signing
from django.utils.translation import gettext as _

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SALT = "singlewindow.api.cursor"


class BadCursor(Exception):
    pass


def cursor(listing, pk):
    return signing.dumps([listing, pk], salt=SALT, compress=False)


def position(listing, after):
    """The id a cursor stands at, or BadCursor (tampered, or from another list)."""
    try:
        name, pk = signing.loads(after, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadCursor(_("after 不是本列表返回的 next_cursor。")) from None
    if name != listing or not isinstance(pk, int):
        raise BadCursor(_("after 不是本列表返回的 next_cursor。"))
    return pk


def page(listing, queryset, *, limit, after, serialize):
    """{data, has_more, next_cursor} of `queryset` (already scoped and filtered)."""
    if after:
        queryset = queryset.filter(pk__lt=position(listing, after))
    rows = list(queryset.order_by("-pk")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "data": [serialize(row) for row in rows],
        "has_more": more,
        "next_cursor": cursor(listing, rows[-1].pk) if more else None,
    }
