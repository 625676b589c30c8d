"""Bureau pages: 数据导入 (upload the customs export list, follow its progress, download the error report)
and 符合条件企业 (who is eligible for a scheme, with counts per county). Routed in policies/urls.py."""
import io
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.http import attachment, page_query
from singlewindow.policies.models import Scheme
from singlewindow.regions.models import Region
from singlewindow.spreadsheets import CSV_TYPE, XLSX_TYPE, CsvWriter, XlsxWriter

from . import eligible_list as eligible_list_rules
from . import import_files, import_rows, imports
from .models import ImportJob


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("出口数据文件（CSV 或 XLSX）"), error_messages={
        "required": gettext_lazy("请选择要上传的文件。"), "empty": gettext_lazy("上传的文件是空的。")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm")):
            raise forms.ValidationError(_("只支持 CSV 或 XLSX 文件。"))
        limit = settings.SW_IMPORT_MAX_UPLOAD_MB
        if upload.size > limit << 20:
            raise forms.ValidationError(_("文件不能超过 %(n)s MB；请按年度或地区拆分后分别上传。") % {"n": limit})
        # by its content, not its name: what the worker would refuse anyway, found while the bureau waits
        problem = import_files.file_problem(upload, upload.name)
        if problem:
            raise forms.ValidationError(problem)
        return upload


def _jobs(user):
    return ImportJob.objects.visible_to(user).select_related("uploaded_by", "region")


importers = role_required(Role.BUREAU, Role.STAFF)


@importers
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.submit(request.user, form.cleaned_data["file"])
        except imports.UploadNotKept:
            form.add_error("file", _("服务器暂时无法保存上传的文件（存储空间不足），未创建导入任务。请稍后重新上传，"
                                     "或联系单一窗口管理员。"))
        else:
            return redirect("enterprises:import_job", pk=job.pk)
    return render(request, "enterprises/imports.html", {
        "form": form, "jobs": _jobs(request.user)[:20], "header": import_rows.LABELS, "largest": import_rows.LARGEST,
        "max_upload_mb": settings.SW_IMPORT_MAX_UPLOAD_MB, "report_rows": settings.SW_IMPORT_REPORT_ROWS,
        "report_days": settings.SW_IMPORT_REPORT_DAYS,
    }, status=400 if request.method == "POST" else 200)


@importers
@require_GET
def import_template(request, kind):
    """The file to fill in: the header the import reads (import_rows.FIELDS, named as it names them)."""
    header = [import_rows.LABELS[field] for field in import_rows.FIELDS]
    if kind == "csv":
        text = io.StringIO()
        text.write("\ufeff")  # a BOM, so Excel opens it as UTF-8
        CsvWriter(text).writerow(header)
        return attachment(text.getvalue(), filename="import-template.csv", content_type=CSV_TYPE)
    sheet = XlsxWriter(_("出口数据"))
    sheet.writerow(header)
    return attachment(sheet.getvalue(), filename="import-template.xlsx", content_type=XLSX_TYPE)


@importers
@require_GET
def import_job(request, pk):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    template = "enterprises/_import_progress.html" if request.htmx else "enterprises/import_job.html"
    return render(request, template, {"job": job})


@importers
@require_GET
def import_report(request, pk):
    job = get_object_or_404(_jobs(request.user), pk=pk)
    if not job.report_path or not Path(job.report_path).exists():
        raise Http404
    return FileResponse(open(job.report_path, "rb"), as_attachment=True, filename=f"导入错误报告-{job.pk}.csv",
                        content_type="text/csv; charset=utf-8")


@role_required(Role.BUREAU, Role.STAFF, Role.INSURER)
@require_GET
def eligible_list(request):
    """符合条件企业 for one scheme, limited to what the user may see: counts per county, then 50 by key."""
    user = request.user
    schemes = list(Scheme.objects.visible_to(user).select_related("region").order_by("-year", "name"))
    scheme = next((s for s in schemes if str(s.pk) == request.GET.get("scheme")), schemes[0] if schemes else None)
    context = {"schemes": schemes, "scheme": scheme}
    if scheme is None:
        return render(request, "enterprises/eligible.html", context)
    counts, counted_at = eligible_list_rules.counts(user, scheme)
    county = request.GET.get("county") or ""
    region = Region.objects.filter(pk=county).first() if county else None
    after, before = request.GET.get("after") or "", request.GET.get("before") or ""
    bad_key = any(key and not eligible_list_rules.KEY.fullmatch(key) for key in (after, before))
    page = eligible_list_rules.Page([])
    if not bad_key and (region is not None or not county):
        page = eligible_list_rules.page(user, scheme, counts, county=region, after=after, before=before)
    context.update({
        "counts": counts, "counted_at": counted_at, "page": page, "county": county,
        "county_name": region.name if region else None,
        "total_waiting": sum(w for _c, _n, w, _i in counts), "total_issued": sum(i for _c, _n, _w, i in counts),
        "key_error": _("翻页参数无效，请从第一页重新查看。") if bad_key else "",
        "first_page": page_query(request, after="", before=""),
        "next_page": page_query(request, after=page.next_after, before=""),
        "previous_page": page_query(request, before=page.previous_before, after=""),
    })
    return render(request, "enterprises/eligible.html", context, status=400 if bad_key else 200)
