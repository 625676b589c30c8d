"""Django admin for the project's models: to look, never to change.

Every change of business state goes through a service (the lock, the rule, the audit event, the notices);
an admin form would write around all four. So each model is shown read-only, with the Chinese names its
fields already carry; secrets (password hashes, message bodies that may hold a code) are left out.
"""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("中国（广东）国际贸易单一窗口 · 管理后台")
admin.site.site_title = _("单一窗口管理后台")
admin.site.index_title = _("数据查看（只读）")


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a million policies for every page of the list

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def register(model, *, exclude=(), **options):
    """Show `model` read-only; `exclude` names fields never to show."""
    attrs = {"exclude": tuple(exclude), **options}
    admin.site.register(model, type(f"{model.__name__}Admin", (ReadOnlyAdmin,), attrs))
