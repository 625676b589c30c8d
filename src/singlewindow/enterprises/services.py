"""Creating an enterprise when it registers (立即注册). One enterprise per organisation code, always."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .identifiers import organisation_code, validate_uscc
from .models import Enterprise

ORG_CODE_EXISTS = "org_code_exists"


def org_code_exists_error():
    return ValidationError(_("组织机构代码已存在"), code=ORG_CODE_EXISTS)


def by_organisation_code(uscc):
    """The enterprise holding the organisation code of `uscc` (a valid code), or None."""
    return Enterprise.objects.filter(org_code=organisation_code(uscc)).first()


def check_new_uscc(value):
    """The normalised code of an enterprise not yet registered, or ValidationError naming the problem."""
    uscc = validate_uscc(value)
    if by_organisation_code(uscc) is not None:
        raise org_code_exists_error()
    return uscc


def create_registered(*, uscc, name, region, legal_representative):
    """Create the enterprise; a concurrent registration of the same organisation code loses cleanly."""
    uscc = check_new_uscc(uscc)
    try:
        with transaction.atomic():
            return Enterprise.objects.create(
                uscc=uscc, name=name, region=region, legal_representative=legal_representative,
            )
    except IntegrityError:
        if by_organisation_code(uscc) is not None:
            raise org_code_exists_error() from None
        raise
