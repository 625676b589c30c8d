"""Who sees what: every model a user can reach has `visible_to(user)`, built from these Q objects.

Decided once (docs/decisions/0020-insurer-scope.md): an insurer sees and decides the policies, applications and
batch runs of its own branch's schemes (the branch underwrites them), and sees the enterprises of its branch's
regions (to issue to them). Two branches may serve one region; each still decides only its own schemes.
"""
from django.db.models import Q

from singlewindow.regions.models import within

from .models import Role

NOTHING = Q(pk__in=[])


def _signed_in(user):
    return getattr(user, "is_authenticated", False) and user.is_active


def enterprise_scope(user, field="enterprise", region_field="enterprise__region"):
    """Rows of an enterprise's own data (by `field`) or of a region (by `region_field`)."""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.ENTERPRISE:
        return Q(**{field: user.enterprise_id}) if user.enterprise_id else NOTHING
    if user.role == Role.INSURER:
        if not user.insurer_branch_id:
            return NOTHING
        return within(user.insurer_branch.regions.all(), region_field)
    if user.role == Role.BUREAU:
        return within([user.region], region_field) if user.region_id else NOTHING
    if user.role == Role.STAFF:
        return Q()
    return NOTHING


def _enclosing(code):
    """The province and prefecture codes a division lies in (GB/T 2260: 441521 in 441500 in 440000)."""
    return [code[:2] + "0000", code[:4] + "00"]


def _around(region, field):
    """Divisions inside `region` or containing it (a county bureau works with its city's scheme)."""
    return within([region], field) | Q(**{f"{field}__code__in": _enclosing(region.code)})


def scheme_scope(user, field=""):
    """Schemes (by `field`, the path to the scheme): an insurer its branch's, a bureau those of or around its
    region, an enterprise those that cover its region, the single-window administrator all."""
    at = f"{field}__" if field else ""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.INSURER:
        return Q(**{f"{at}insurer_branch": user.insurer_branch_id}) if user.insurer_branch_id else NOTHING
    if user.role == Role.BUREAU:
        return _around(user.region, f"{at}region") if user.region_id else NOTHING
    if user.role == Role.ENTERPRISE:
        if not user.enterprise_id:
            return NOTHING
        code = user.enterprise.region_id
        return Q(**{f"{at}region__code__in": [*_enclosing(code), code]})
    if user.role == Role.STAFF:
        return Q()
    return NOTHING


def policy_scope(user, field=""):
    """Policies, applications (by `field`, the path to the row that has `scheme` and `enterprise`): an insurer's
    by its scheme's branch, everyone else's by the enterprise (its own, or its region's)."""
    at = f"{field}__" if field else ""
    if _signed_in(user) and user.role == Role.INSURER:
        return scheme_scope(user, f"{at}scheme")
    return enterprise_scope(user, f"{at}enterprise", f"{at}enterprise__region")


def staff_scope(user, field=""):
    """Rows only the insurer (by the scheme at `field`) and the single-window administrator work with: batch issuance runs."""
    if _signed_in(user) and user.role in (Role.INSURER, Role.STAFF):
        return scheme_scope(user, field)
    return NOTHING


def import_scope(user):
    """Customs import jobs: a bureau's of its region, the single-window administrator's all."""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.BUREAU:
        return within([user.region], "region") if user.region_id else NOTHING
    if user.role == Role.STAFF:
        return Q()
    return NOTHING


def user_scope(user):
    """Portal accounts: the single-window administrator's all (to look one up, unlock it); everyone else's
    only its own. An enterprise's manager reaches its operators through accounts.services.operators_of."""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.STAFF:
        return Q()
    return Q(pk=user.pk)


def publication_scope(user):
    """名单公示 (a bureau's published list of eligible enterprises): the bureau its region's and below; an
    enterprise those published for the regions it lies in (the list is public to whom it concerns); the
    insurer those of its branch's schemes; the administrator all."""
    if not _signed_in(user):
        return NOTHING
    if user.role == Role.BUREAU:
        return within([user.region], "region") if user.region_id else NOTHING
    if user.role == Role.ENTERPRISE:
        if not user.enterprise_id:
            return NOTHING
        code = user.enterprise.region_id
        return Q(region__code__in=[*_enclosing(code), code])
    if user.role == Role.INSURER:
        return Q(scheme__insurer_branch=user.insurer_branch_id) if user.insurer_branch_id else NOTHING
    if user.role == Role.STAFF:
        return Q()
    return NOTHING
