"""One-time codes sent by SMS or email: expire after settings.ACCOUNT_CODE_TTL, single use, a few tries,
rate-limited per recipient and per address. Only a keyed hash of each code is stored."""
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from singlewindow.notifications import outbox
from singlewindow.validators import ascii_digits, clean_email, normalise_phone

from .models import Channel, CodePurpose, VerificationCode

# Lazy: a code goes out in the language of the page that asked for it.
TEXTS = {
    CodePurpose.REGISTER: gettext_lazy("您正在注册广东单一窗口账号，验证码：{code}，{minutes}分钟内有效。请勿将验证码告诉他人。"),
    CodePurpose.RESET_PASSWORD: gettext_lazy(
        "您正在找回单一窗口账号密码，验证码：{code}，{minutes}分钟内有效。如非本人操作，请忽略。"),
    CodePurpose.RECOVER_USERNAME: gettext_lazy(
        "您正在找回单一窗口用户名，验证码：{code}，{minutes}分钟内有效。如非本人操作，请忽略。"),
    CodePurpose.CHANGE_MOBILE: gettext_lazy("您正在更换单一窗口账号的手机号码，验证码：{code}，{minutes}分钟内有效。请勿告诉他人。"),
}
SIGNATURE = "【广东单一窗口】"


def normalise_mobile(value):
    """An 11-digit mainland mobile (codes go by SMS, so a landline will not do)."""
    number = normalise_phone(value)
    if not re.fullmatch(r"1[0-9]{10}", number):
        raise ValidationError(_("请填写11位手机号码（验证码通过短信发送，不能使用固定电话）。"), code="not_mobile")
    return number


def parse_recipient(value):
    """(channel, normalised recipient) for a mobile or an email typed in one box."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("请填写注册时登记的手机号码或电子邮箱。"), code="required")
    if "@" in value:
        return Channel.EMAIL, clean_email(value)
    return Channel.SMS, normalise_mobile(value)


def _hash(purpose, recipient, code):
    return salted_hmac("singlewindow.accounts.codes", f"{purpose}|{recipient.lower()}|{code}",
                       algorithm="sha256").hexdigest()


def check_rate(recipient, ip):
    """Refuse a new code when, in the last hour, this address asked too often for this recipient, or
    this recipient (from all addresses) or this address (for all recipients) got too many.

    Counting per (recipient, address) first means that a stranger asking for someone's codes uses up
    only the stranger's own share: the owner, from another address, still gets one.
    """
    since = timezone.now() - timedelta(hours=1)
    recent = VerificationCode.objects.filter(created_at__gte=since)
    to_recipient = recent.filter(recipient__iexact=recipient)
    here = {"ip": ip} if ip else {"ip__isnull": True}
    if (
        to_recipient.filter(**here).count() >= settings.ACCOUNT_CODES_PER_RECIPIENT_ADDRESS_HOUR
        or to_recipient.count() >= settings.ACCOUNT_CODES_PER_RECIPIENT_HOUR
        or (ip and recent.filter(ip=ip).count() >= settings.ACCOUNT_CODES_PER_ADDRESS_HOUR)
    ):
        raise ValidationError(_("获取验证码过于频繁，请1小时后再试。"), code="rate_limited")


def issue(purpose, channel, recipient, *, ip=None, user=None, send=True):
    """Record a new code and, when `send`, queue it to the recipient through the outbox.

    `send=False` is for recovery requests no account matches: the row still counts against the limits,
    so the answer is the same as for a real account. Call inside the caller's transaction.
    """
    check_rate(recipient, ip)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    row = VerificationCode.objects.create(
        purpose=purpose, channel=channel, recipient=recipient, code_hash=_hash(purpose, recipient, code),
        user=user, ip=ip, sent=send, created_at=now, expires_at=now + settings.ACCOUNT_CODE_TTL,
    )
    if send:
        minutes = int(settings.ACCOUNT_CODE_TTL.total_seconds() // 60)
        outbox.queue(
            channel=channel, recipient=recipient, subject=_("单一窗口验证码"), purpose=f"code:{purpose}",
            body=SIGNATURE + TEXTS[purpose].format(code=code, minutes=minutes),
        )
    return row


def verify(purpose, recipient, code, *, user=None):
    """Use up the newest code sent to `recipient` for `purpose`; ValidationError when it does not match.

    Only the newest code counts; a wrong try is counted even when the caller's work later fails, so run
    this outside (before) the caller's transaction.
    """
    row = match(purpose, recipient, code, user=user)
    use(row)
    return row


def match(purpose, recipient, code, *, user=None):
    """The newest code sent to `recipient` for `purpose` if `code` is it, without using it up; a wrong
    try counts (run outside the caller's transaction). ValidationError otherwise."""
    code = re.sub(r"\s", "", ascii_digits(code))  # as typed: spaces, full-width digits
    rows = VerificationCode.objects.filter(purpose=purpose, recipient__iexact=recipient)
    if user is not None:
        rows = rows.filter(user=user)
    latest = rows.order_by("-created_at", "-id").first()
    if latest is None or latest.used_at is not None or latest.expires_at <= timezone.now():
        raise _invalid()
    if latest.attempts >= settings.ACCOUNT_CODE_MAX_ATTEMPTS:
        raise ValidationError(_("验证码输错次数过多，请重新获取。"), code="too_many_attempts")
    if not re.fullmatch(r"[0-9]{6}", code) or not constant_time_compare(latest.code_hash,
                                                                       _hash(purpose, recipient, code)):
        count_try(latest)
        raise _invalid()
    return latest


def count_try(row):
    """One of the code's tries is used up (a wrong code, or a step the code guards that failed)."""
    VerificationCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)


def use(row):
    """Single use, even when two requests carry the same code at once."""
    if VerificationCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()) != 1:
        raise _invalid()


def _invalid():
    return ValidationError(_("验证码不正确或已过期，请重新获取。"), code="invalid")
