def acting_for(request):
    """Every page shows whom the user acts for (FAQ 9: the wrong company's account)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"acting_for": user.acting_for}
