from django.utils.functional import SimpleLazyObject

from .menu import menu_for

# Both are lazy: a fragment (the 通知 popup htmx polls) renders neither and so costs no query or reverse() for them.


def acting_for(request):
    """Every page shows whom the user acts for (FAQ 9: the wrong company's account)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"acting_for": SimpleLazyObject(lambda: user.acting_for)}


def menu(request):
    """The menus of base.html for this user, with the entry of the page shown marked (portal/menu.py)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"menu": SimpleLazyObject(lambda: menu_for(user, getattr(request, "resolver_match", None)))}
