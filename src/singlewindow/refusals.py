"""How a page answers a service that said no: one helper instead of an except ladder in every view.

A service refuses in one of two ways: `ValidationError` for what the user typed (shown next to the form's
fields) and `machines.Refused` for a business rule (already done, no longer allowed, a duplicate), shown as
a message. Views wrap the call:

    with attempt(request, form) as tried:
        services.confirm(...)
        return redirect(...)
    if tried.refused:
        return redirect(...)  # the message is already queued
    return render(..., status=400)  # the form carries the errors
"""
from django.contrib import messages
from django.core.exceptions import ValidationError

from .forms import add_service_errors
from .machines import Refused


class attempt:  # lower case: it reads as a verb, `with attempt(request, form) as tried`
    """Run a service call; turn Refused and ValidationError into what the page shows, and say which happened.

    `form`: a ValidationError goes onto it (add_service_errors), else into one message at `invalid_level`.
    `refused_level`: the message level of a Refused; `refused_on_form`: put a Refused at the top of `form`.
    After the block, `tried.refused` / `tried.invalid` hold the exception caught (None when it was not),
    and `tried.ok` is True when the block ran to its end.
    """

    def __init__(self, request, form=None, *, refused_level=messages.WARNING, invalid_level=messages.WARNING,
                 refused_on_form=False):
        self.request, self.form = request, form
        self.refused_level, self.invalid_level, self.refused_on_form = refused_level, invalid_level, refused_on_form
        self.refused = self.invalid = None

    @property
    def ok(self):
        return self.refused is None and self.invalid is None

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, Refused):
            self.refused = error
            if self.refused_on_form and self.form is not None:
                self.form.add_error(None, str(error))
            else:
                messages.add_message(self.request, self.refused_level, str(error))
            return True
        if isinstance(error, ValidationError):
            self.invalid = error
            if self.form is not None:
                add_service_errors(self.form, error)
            else:
                messages.add_message(self.request, self.invalid_level, " ".join(error.messages))
            return True
        return False
