"""The 保单查验 forms: a policy number and a verification code, or a PDF to check. Every refusal names its field."""
import hashlib

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from singlewindow.claims.uploads import display_name

from .verification import NUMBER, is_code, normalise_code, normalise_number


def _without_nul_validator(form):
    """Our own message for a NUL (clean_*), instead of Django's."""
    for field in form.fields.values():
        field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]


NUMBER_FORMAT = _("保单号由字母和数字组成（如 XW202600100000001），请按电子保单上印的填写。")
CODE_FORMAT = _("验证码为 8 位字母和数字（如 7K3M-9QXD），印在电子保单的二维码旁。")


class CodeForm(forms.Form):
    number = forms.CharField(label=_("保单号"), max_length=60, error_messages={
        "required": _("请填写保单号。"), "max_length": NUMBER_FORMAT})
    code = forms.CharField(label=_("验证码"), max_length=30, error_messages={
        "required": _("请填写验证码。"), "max_length": CODE_FORMAT})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_nul_validator(self)
        self.fields["number"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false",
                                                   "autocapitalize": "characters"})
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false",
                                                 "autocapitalize": "characters"})

    def clean_number(self):
        number = normalise_number(self.cleaned_data["number"])
        if not NUMBER.fullmatch(number):
            raise ValidationError(NUMBER_FORMAT)
        return number

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not is_code(code):
            raise ValidationError(CODE_FORMAT)
        return code


class UploadForm(forms.Form):
    """A PDF to compare with every document issued: read to at most SW_VERIFY_MAX_MB, recognised by its first
    bytes, hashed; never stored, never opened by anything else."""

    file = forms.FileField(label=_("电子保单或确认回执文件（PDF）"), error_messages={
        "required": _("请选择要查验的 PDF 文件。"), "empty": _("所选文件是空的（0 字节），请重新选择。"),
        "invalid": _("请选择要查验的 PDF 文件。")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            name = display_name(getattr(upload, "name", ""))
        except ValidationError as error:
            raise ValidationError(error.message_dict["file"]) from None
        limit = settings.SW_VERIFY_MAX_MB << 20
        too_big = _("“%(name)s”超过 %(n)s MB，不是本系统出具的电子保单。") % {"name": name, "n": settings.SW_VERIFY_MAX_MB}
        if (upload.size or 0) > limit:
            raise ValidationError(too_big)
        digest, total, head = hashlib.sha256(), 0, b""
        for chunk in upload.chunks():
            total += len(chunk)
            if total > limit:
                raise ValidationError(too_big)
            if len(head) < 8:
                head += chunk[:8]
            digest.update(chunk)
        if not total:
            raise ValidationError(_("“%(name)s”是空文件（0 字节），请重新选择。") % {"name": name})
        if not head.startswith(b"%PDF-"):
            raise ValidationError(_("“%(name)s”不是 PDF 文件（按文件内容判断）。请上传本系统出具的电子保单或确认回执。") % {
                "name": name})
        return digest.hexdigest()
