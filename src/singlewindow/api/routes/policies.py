"""Policies: the insurer lists, issues, approves, returns and cancels; an enterprise's software reads its own,
with their documents (电子保单, 确认回执).

Each operation is the page's service call (policies/services.py) with the token's account as the actor, so the
rules (the transition table, eligibility, the reasons) are the pages' own, and so are the refusals.
"""
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.urls import reverse
from ninja import Path, Query, Router

from singlewindow.accounts.models import Role
from singlewindow.documents import storage
from singlewindow.documents.models import PolicyDocument
from singlewindow.enterprises.models import Enterprise
from singlewindow.policies import services
from singlewindow.policies.models import Policy
from singlewindow.regions.models import Region, within

from .. import pagination
from ..schemas import IssueIn, PolicyDocumentOut, PolicyOut, PolicyPage, PolicyStatusValue, ReasonIn, ReturnIn
from .common import ANY, MAX_ID, acting, enterprise_ref, ip, money, renamed, scheme_ref

router = Router(tags=["保单"])
READERS = (Role.INSURER, Role.ENTERPRISE)


def policy_out(policy):
    return {
        "id": policy.pk, "number": policy.number, "status": policy.status, "status_label": policy.get_status_display(),
        "scheme": scheme_ref(policy.scheme), "enterprise": enterprise_ref(policy.enterprise),
        "premium": money(policy.premium), "issued_at": policy.issued_at, "status_changed_at": policy.status_changed_at,
        "cover_start": policy.cover_start, "cover_end": policy.cover_end, "contact_name": policy.contact_name,
        "contact_phone": policy.contact_phone, "contact_email": policy.contact_email, "last_reason": policy.last_reason,
    }


def _policies(actor):
    return Policy.objects.visible_to(actor).select_related("scheme", "enterprise__region")


def _one(actor, policy_id):
    return _policies(actor).get(pk=policy_id)


@router.get("/policies", response=PolicyPage, summary="保单列表",
            description="保险公司：本机构方案的保单；企业：本企业的保单。按出单先后从新到旧。")
def list_policies(
    request,
    status: PolicyStatusValue | None = ANY,
    scheme_id: int | None = Query(None, ge=1, le=MAX_ID),
    county: str | None = Query(None, pattern=r"^\d{6}$", description="县区代码（GB/T 2260），含其下辖区域"),
    uscc: str | None = Query(None, max_length=18),
    number: str | None = Query(None, max_length=30),
    limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
    after: str | None = Query(None, max_length=200),
):
    actor = acting(request, *READERS)
    rows = _policies(actor)
    if status:
        rows = rows.filter(status=status.value)
    if scheme_id:
        rows = rows.filter(scheme_id=scheme_id)
    if county:
        rows = rows.filter(within(Region.objects.filter(pk=county), "enterprise__region"))
    if uscc:
        rows = rows.filter(enterprise__uscc=uscc.strip().upper())
    if number:
        rows = rows.filter(number=number.strip().upper())
    return pagination.page("policies", rows, limit=limit, after=after, serialize=policy_out)


@router.get("/policies/{policy_id}", response=PolicyOut, summary="保单")
def get_policy(request, policy_id: int = Path(..., ge=1, le=MAX_ID)):
    return policy_out(_one(acting(request, *READERS), policy_id))


def document_out(document):
    return {
        "id": document.pk, "kind": document.kind, "kind_label": document.get_kind_display(),
        "version": document.version, "current": document.superseded_at is None, "generated_at": document.generated_at,
        "superseded_at": document.superseded_at, "size": document.size, "sha256": document.sha256,
        "verification_code": document.code, "download": reverse("api:v1:policy_document_file", args=[document.pk]),
    }


@router.get("/policies/{policy_id}/documents", response=list[PolicyDocumentOut], summary="保单的电子文件",
            description="电子保单与确认回执的各个版本（新的在前），各带 SHA-256、验证码和下载地址。")
def list_documents(request, policy_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, *READERS)
    policy = _one(actor, policy_id)
    documents = PolicyDocument.objects.visible_to(actor).filter(policy=policy).order_by("-generated_at", "-pk")
    return [document_out(document) for document in documents]


@router.get("/documents/{document_id}", url_name="policy_document_file", summary="下载电子文件（PDF）",
            openapi_extra={"responses": {"200": {"description": "签名的 PDF",
                                                 "content": {"application/pdf": {"schema": {"type": "string"}}}}}})
def document_file(request, document_id: int = Path(..., ge=1, le=MAX_ID)):
    document = PolicyDocument.objects.visible_to(acting(request, *READERS)).get(pk=document_id)
    try:
        handle = storage.open_stored(document.stored_name)
    except OSError:
        raise PolicyDocument.DoesNotExist from None
    response = FileResponse(handle, as_attachment=True, filename=document.filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/policies", response={201: PolicyOut}, summary="出具保单",
             description="向本机构服务区域内符合条件的企业出具待确认保单（与“出具保单”页面相同的规则）。"
                         "企业不符合条件时，可填写 exception_reason 例外出单。")
def issue_policy(request, data: IssueIn):
    actor = acting(request, Role.INSURER)
    enterprise_id = Enterprise.objects.filter(uscc=data.uscc.strip().upper()).values_list("pk", flat=True).first()
    try:
        policy = services.issue(actor, data.scheme_id, enterprise_id or 0, ip=ip(request),
                                exception_reason=data.exception_reason)
    except ValidationError as error:
        raise renamed(error, {"enterprise": "uscc", "scheme": "scheme_id", "reason": "exception_reason"}) from None
    return 201, policy_out(_one(actor, policy.pk))


@router.post("/policies/{policy_id}/approve", response=PolicyOut, summary="审批通过",
             description="审批中的保单生效：保险责任自审批当日起至方案保险期间止（含当日）。")
def approve_policy(request, policy_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, Role.INSURER)
    services.approve(actor, policy_id, ip=ip(request))
    return policy_out(_one(actor, policy_id))


@router.post("/policies/{policy_id}/return", response=PolicyOut, summary="退回",
             description="退回审批中的保单，须写明原因；可要求企业修改联系信息（to_correct）。")
def return_policy(request, data: ReturnIn, policy_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, Role.INSURER)
    services.return_policy(actor, policy_id, reason=data.reason, fields=data.to_correct, ip=ip(request))
    return policy_out(_one(actor, policy_id))


@router.post("/policies/{policy_id}/cancel", response=PolicyOut, summary="撤销",
             description="撤销待确认、审批中或已退回的保单，须写明原因。")
def cancel_policy(request, data: ReasonIn, policy_id: int = Path(..., ge=1, le=MAX_ID)):
    actor = acting(request, Role.INSURER)
    services.cancel(actor, policy_id, reason=data.reason, ip=ip(request))
    return policy_out(_one(actor, policy_id))
