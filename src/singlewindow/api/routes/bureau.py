"""商务主管部门: the figures per county (the 统计分析 dashboard's), and the customs
export list uploaded as a job (enterprises/imports.py) with its status and error report."""
from pathlib import Path as FilePath

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import File, Path, Query, Router
from ninja.files import UploadedFile

from singlewindow.accounts.models import Role
from singlewindow.bureaus import figures
from singlewindow.enterprises import imports
from singlewindow.enterprises.models import ImportJob
from singlewindow.enterprises.views import UploadForm
from singlewindow.policies.models import PolicyStatus, Scheme

from .. import pagination
from ..schemas import FiguresOut, ImportJobOut, ImportJobPage
from .common import MAX_ID, acting, money, scheme_ref

router = Router(tags=["商务主管部门"])
THE_FILE = File(..., description="CSV 或 XLSX 文件")


def _percent(value):
    return None if value is None else round(value, 1)


def _figures(line):
    return {"county_code": line.code, "county": str(line.name), "eligible": line.eligible,
            "eligible_without_policy": line.waiting, "issued": line.issued,
            "by_status": {status.value: line.cells.get(status, 0) for status in PolicyStatus},
            "insured": line.insured, "take_up_percent": _percent(line.take_up), "confirmed": line.confirmed,
            "confirm_percent": _percent(line.confirm_rate), "premium": money(line.premium),
            "loss_notices": line.notices, "claims_paid": line.claims_paid, "paid_usd": money(line.paid_usd)}


@router.get("/stats/counties", response=FiguresOut, summary="统计分析（按县区）",
            description="统计分析页面的数字（bureaus/figures.py）：一个方案在本令牌管辖区域内各县区的符合条件企业、"
                        "各状态保单、参保率、确认率、保费、报损与赔付。不指定方案时为最新的方案。")
def figures_by_county(request, scheme_id: int | None = Query(None, ge=1, le=MAX_ID)):
    actor = acting(request, Role.BUREAU)
    if scheme_id:
        scheme = Scheme.objects.visible_to(actor).get(pk=scheme_id)
    else:
        scheme = figures.default_scheme(actor)
        if scheme is None:
            raise Http404
    board = figures.dashboard(actor, scheme)
    return {"scheme": scheme_ref(scheme), "counties": [_figures(line) for line in board.lines],
            "total": _figures(board.total)}


# --- the export list ---------------------------------------------------------------------------------------

def job_out(job):
    report = None
    if job.report_path:
        report = reverse("api:v1:import_errors", kwargs={"job_id": job.pk})
    return {
        "id": job.pk, "file_name": job.file_name, "size": job.size, "status": job.status,
        "status_label": str(job.status_label), "phase": job.phase, "percent": job.percent,
        "rows_read": job.rows_read, "error_count": job.error_count, "errors_preview": job.errors_preview or [],
        "error_report": report, "enterprises_created": job.enterprises_created,
        "records_written": job.records_written, "years": job.years or [], "message": job.message,
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


def _jobs(actor):
    return ImportJob.objects.visible_to(actor)


@router.post("/imports", response={202: ImportJobOut}, summary="上传海关出口数据",
             description="CSV 或 XLSX（表头见“数据导入”页面的模板）。文件排队处理：查询任务状态直至 done（已导入）"
                         "或 rejected（有错误，未导入任何数据，错误报告见 error_report）。")
def upload_exports(request, file: UploadedFile = THE_FILE):
    actor = acting(request, Role.BUREAU)
    form = UploadForm(data={}, files={"file": file})
    if not form.is_valid():
        raise ValidationError({field: list(messages) for field, messages in form.errors.items()})
    job = imports.submit(actor, form.cleaned_data["file"])
    return 202, job_out(_jobs(actor).get(pk=job.pk))


@router.get("/imports", response=ImportJobPage, summary="导入任务列表")
def list_imports(request, limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
                 after: str | None = Query(None, max_length=200)):
    rows = _jobs(acting(request, Role.BUREAU))
    return pagination.page("imports", rows, limit=limit, after=after, serialize=job_out)


@router.get("/imports/{job_id}", response=ImportJobOut, summary="导入任务")
def get_import(request, job_id: int = Path(..., ge=1, le=MAX_ID)):
    return job_out(_jobs(acting(request, Role.BUREAU)).get(pk=job_id))


@router.get("/imports/{job_id}/errors", url_name="import_errors", summary="导入错误报告（CSV）",
            openapi_extra={"responses": {"200": {"description": "错误报告：行号、字段、内容、问题",
                                                 "content": {"text/csv": {"schema": {"type": "string"}}}}}})
def import_errors(request, job_id: int = Path(..., ge=1, le=MAX_ID)):
    job = _jobs(acting(request, Role.BUREAU)).get(pk=job_id)
    if not job.report_path or not FilePath(job.report_path).exists():
        raise Http404
    return FileResponse(open(job.report_path, "rb"), as_attachment=True,
                        filename=f"import-errors-{job.pk}.csv", content_type="text/csv; charset=utf-8")
