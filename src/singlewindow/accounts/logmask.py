"""Masking account data before it reaches a log: mobiles as 138****0000, emails as l***@example.com."""
import logging
import re

from singlewindow.validators import mask_phone

# ASCII or full-width digits (as typed with a Chinese input method), not only the ASCII ones.
_MOBILE = re.compile(r"(?<![0-9０-９])(?:[+＋]?[8８][6６])?([1１][3-9３-９][0-9０-９]{9})(?![0-9０-９])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")


def mask_email(value):
    name, at, domain = (value or "").partition("@")
    return f"{name[:1]}***@{domain}" if at else "***"


def mask_recipient(value):
    return mask_email(value) if "@" in (value or "") else mask_phone(value)


def mask_text(text):
    text = _MOBILE.sub(lambda m: mask_phone(m.group(1)), text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


class MaskAccountData(logging.Filter):
    """A handler filter: whatever a logger formats, mobiles and emails leave it masked."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
        return True
