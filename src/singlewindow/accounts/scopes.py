"""Who sees what: every queryset's visible_to(user) is built from these Q objects."""
from django.db.models import Q

from singlewindow.regions.models import within

from .models import Role

NOTHING = Q(pk__in=[])


def enterprise_scope(user, field="enterprise", region_field="enterprise__region"):
    """Rows of an enterprise's own data (by `field`) or of a region (by `region_field`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.role == Role.ENTERPRISE:
        return Q(**{field: user.enterprise_id}) if user.enterprise_id else NOTHING
    if user.role == Role.INSURER:
        if not user.insurer_branch_id:
            return NOTHING
        return within(user.insurer_branch.regions.all(), region_field)
    if user.role == Role.BUREAU:
        return within([user.region], region_field) if user.region_id else NOTHING
    if user.role == Role.OPERATOR:
        return Q()
    return NOTHING
