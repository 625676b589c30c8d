from singlewindow.readonly_admin import register

from .models import Enterprise, ExportRecord, ImportJob

register(Enterprise, list_display=("name", "uscc", "region"), search_fields=("name", "uscc"))
register(ExportRecord, list_display=("enterprise", "year", "export_usd"), raw_id_fields=("enterprise",))
register(ImportJob, list_display=("file_name", "status", "created_at"), list_filter=("status",))
