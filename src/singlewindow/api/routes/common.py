"""What every router shares: who is acting, the references every record carries, the token itself, schemes."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Query, Router

from singlewindow.accounts.models import Role
from singlewindow.http import client_ip
from singlewindow.policies.models import Scheme

from .. import pagination
from ..schemas import SchemePage, TokenOut

router = Router(tags=["令牌与方案"])

ROLE_NAMES = {Role.INSURER: gettext_lazy("保险公司"), Role.BUREAU: gettext_lazy("商务主管部门"),
              Role.ENTERPRISE: gettext_lazy("企业")}
ANY = Query(None)  # a filter left out (one default object for every such parameter)
MAX_ID = 2**63 - 1  # what a database id holds: a larger one is not found, never an overflow


def acting(request, *roles):
    """The token's account (the services' actor); Forbidden unless its organisation is one of `roles`."""
    from ..v1 import Forbidden

    actor = request.actor
    if roles and actor.role not in roles:
        raise Forbidden(_("该接口只对%(roles)s的令牌开放。") % {"roles": "、".join(str(ROLE_NAMES[r]) for r in roles)})
    return actor


def ip(request):
    return client_ip(request)


def money(value):
    return None if value is None else f"{value:.2f}"


def renamed(error, names):
    """A services' ValidationError with its fields named as the request names them (enterprise → uscc)."""
    from django.core.exceptions import ValidationError

    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(field, field): messages for field, messages in error.error_dict.items()})


def enterprise_ref(enterprise):
    return {"id": enterprise.pk, "uscc": enterprise.uscc, "name": enterprise.name,
            "county_code": enterprise.region_id, "county": enterprise.region.name}


def scheme_ref(scheme):
    return {"id": scheme.pk, "name": scheme.name, "year": scheme.year}


@router.get("/me", response=TokenOut, summary="本令牌", description="令牌所属机构、权限与有效期。")
def me(request):
    token = request.api_token
    organisation = token.organisation
    return {"prefix": token.prefix, "name": token.name, "access": token.access, "created_at": token.created_at,
            "expires_at": token.expires_at, "last_used_at": token.last_used_at,
            "organisation": {"role": token.role, "id": str(organisation.pk), "name": str(organisation)}}


def scheme_out(scheme):
    return {**scheme_ref(scheme), "region_code": scheme.region_id, "region": scheme.region.name,
            "basis_year": scheme.basis_year, "threshold_usd": money(scheme.threshold_usd),
            "cover_start": scheme.cover_start, "cover_end": scheme.cover_end,
            "confirm_deadline": scheme.confirm_deadline, "indemnity_ratio": money(scheme.indemnity_ratio),
            "max_indemnity_usd": money(scheme.max_indemnity_usd)}


@router.get("/schemes", response=SchemePage, summary="投保方案", description="本机构可见的投保方案。")
def schemes(request, limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
            after: str | None = Query(None, max_length=200)):
    actor = acting(request)
    rows = Scheme.objects.visible_to(actor).select_related("region")
    return pagination.page("schemes", rows, limit=limit, after=after, serialize=scheme_out)
