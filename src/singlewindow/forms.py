"""Form helpers shared by the apps' views."""


def add_service_errors(form, error):
    """Show a service's ValidationError next to the fields it names, the rest at the top of the form."""
    details = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for field, messages in details.items():
        field = getattr(form, "error_fields", {}).get(field, field)  # a service's name for a form field
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def record_id(value):
    """A primary key as a page sends it (a hidden field, a checkbox), or None: ASCII digits only ("²" is a digit to
    str.isdigit) and short enough for any database's integer (a 30-digit key overflows SQLite's)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
