from singlewindow.readonly_admin import register

from .models import Agreement, Application, CalendarRun, Confirmation, InsurerBranch, IssuanceRun, Policy, Scheme

register(InsurerBranch)
register(Agreement, list_display=("title", "version"))
register(Scheme, list_display=("name", "insurer_branch", "region", "cover_start", "cover_end"))
register(Policy, list_display=("number", "enterprise", "scheme", "status", "issued_at"), list_filter=("status",),
         search_fields=("number",), raw_id_fields=("enterprise", "scheme"))
register(Confirmation, list_display=("policy", "at", "login_method"), raw_id_fields=("policy",))
register(Application, list_display=("enterprise", "scheme", "status", "created_at"))
register(IssuanceRun, list_display=("scheme", "status", "issued", "total", "created_at"))
register(CalendarRun, list_display=("day", "lapsed", "expired", "reminded"))
