"""What the API takes and gives, as pydantic models (django-ninja publishes them in the OpenAPI document).

Inputs refuse what no record can hold (NUL, lone surrogates) naming the field; every other rule is the
services' own (the API validates nothing the pages would not, and nothing differently).
"""
import datetime
import enum

from ninja import Schema
from pydantic import Field, field_validator

from singlewindow.alerts.models import Alert
from singlewindow.claims.models import Claim, LossNotice
from singlewindow.enterprises.models import ImportJob
from singlewindow.policies.models import PolicyStatus
from singlewindow.validators import is_storable

from .models import Access, WebhookDelivery, WebhookEvent


def choices(name, text_choices):
    """A str Enum of a model's TextChoices values, so the document lists them."""
    return enum.Enum(name, {value: value for value in text_choices.values}, type=str)


PolicyStatusValue = choices("PolicyStatus", PolicyStatus)
NoticeStatusValue = choices("LossNoticeStatus", LossNotice.Status)
ClaimStatusValue = choices("ClaimStatus", Claim.Status)
AlertStatusValue = choices("AlertStatus", Alert.Status)
ImportStatusValue = choices("ImportStatus", ImportJob.Status)


class In(Schema):
    """Every request body: text fields must be storable."""

    @field_validator("*", mode="after")
    @classmethod
    def storable(cls, value):
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and not is_storable(text) for text in texts):
            raise ValueError("unstorable")
        return value


# --- problems --------------------------------------------------------------------------------------------

class FieldError(Schema):
    field: str | None = Field(None, description="出错的字段（请求体字段名、查询参数或请求头）")
    message: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(description="问题类型的 URI（/api/problems/{code}）")
    title: str
    status: int
    code: str = Field(description="供程序判断的错误代码，含义不变")
    detail: str = Field(description="中文说明，与页面上的提示相同")
    instance: str | None = None
    errors: list[FieldError] | None = None


# --- common ------------------------------------------------------------------------------------------------

class Organisation(Schema):
    role: str = Field(description="insurer（保险公司机构）、bureau（商务主管部门）或 enterprise（企业）")
    id: str
    name: str


class TokenOut(Schema):
    prefix: str
    name: str
    access: choices("TokenAccess", Access)
    organisation: Organisation
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None


class SchemeRef(Schema):
    id: int
    name: str
    year: int


class EnterpriseRef(Schema):
    id: int
    uscc: str
    name: str
    county_code: str
    county: str


class SchemeOut(Schema):
    id: int
    name: str
    year: int
    region_code: str
    region: str
    basis_year: int
    threshold_usd: str
    cover_start: datetime.date
    cover_end: datetime.date = Field(description="保险期间止（含当日）")
    confirm_deadline: datetime.date = Field(description="确认截止日（含当日）")
    indemnity_ratio: str
    max_indemnity_usd: str


class SchemePage(Schema):
    data: list[SchemeOut]
    has_more: bool
    next_cursor: str | None


# --- policies ----------------------------------------------------------------------------------------------

class PolicyOut(Schema):
    id: int
    number: str
    status: PolicyStatusValue
    status_label: str
    scheme: SchemeRef
    enterprise: EnterpriseRef
    premium: str = Field(description="保费（元），两位小数")
    issued_at: datetime.datetime
    status_changed_at: datetime.datetime
    cover_start: datetime.date | None
    cover_end: datetime.date | None = Field(description="保险责任止期（含当日）")
    contact_name: str
    contact_phone: str
    contact_email: str
    last_reason: str


class PolicyPage(Schema):
    data: list[PolicyOut]
    has_more: bool
    next_cursor: str | None


class PolicyDocumentOut(Schema):
    """电子保单 (kind policy) or 确认回执 (kind receipt), one version: its hash, verification code and download."""
    id: int
    kind: str
    kind_label: str
    version: int
    current: bool
    generated_at: datetime.datetime
    superseded_at: datetime.datetime | None
    size: int
    sha256: str
    verification_code: str
    download: str


class IssueIn(In):
    scheme_id: int = Field(description="本机构承保的方案")
    uscc: str = Field(max_length=18, description="被保险企业的统一社会信用代码")
    exception_reason: str | None = Field(None, max_length=500, description="例外出单的原因（企业不符合出单条件时）")


class ReasonIn(In):
    reason: str = Field(max_length=500)


class ReturnIn(In):
    reason: str = Field(max_length=500)
    to_correct: list[str] = Field(default_factory=list, max_length=3,
                                  description="要求企业修改的联系信息：contact_name、contact_phone、contact_email")


# --- alerts ------------------------------------------------------------------------------------------------

class AlertOut(Schema):
    id: int
    title: str
    body: str
    level: str
    kind: str
    audience: str
    status: AlertStatusValue
    status_label: str
    valid_from: datetime.date
    valid_until: datetime.date = Field(description="有效期止（含当日）")
    countries: list[str]
    counties: list[str]
    industries: str
    created_at: datetime.datetime
    published_at: datetime.datetime | None
    withdrawn_at: datetime.datetime | None
    withdraw_reason: str
    delivered: int = Field(description="送达企业数")
    read: int = Field(description="已阅读的企业数")


class AlertPage(Schema):
    data: list[AlertOut]
    has_more: bool
    next_cursor: str | None


class AlertIn(In):
    title: str = Field(max_length=100)
    body: str = Field(max_length=5000)
    level: choices("AlertLevel", Alert.Level)
    kind: choices("AlertKind", Alert.Kind)
    audience: choices("AlertAudience", Alert.Audience) = Alert.Audience.BRANCH.value
    valid_from: datetime.date
    valid_until: datetime.date
    countries: list[str] = Field(default_factory=list, max_length=300, description="ISO 3166-1 二位代码")
    counties: list[str] = Field(default_factory=list, max_length=200, description="GB/T 2260 县级区划代码")
    buyers: list[int] = Field(default_factory=list, max_length=200)
    industries: str = Field("", max_length=200)


# --- loss notices and claims -------------------------------------------------------------------------------

class NoticeOut(Schema):
    id: int
    number: str
    status: NoticeStatusValue
    status_label: str
    policy_id: int
    policy_number: str
    enterprise: EnterpriseRef
    buyer: str
    buyer_country: str
    contract_no: str
    invoice_no: str
    declaration_no: str
    shipment_date: datetime.date
    due_date: datetime.date
    currency: str
    invoice_amount: str
    overdue_amount: str
    payment_terms: str
    credit_days: int
    cause: str
    late: bool
    deadline: datetime.date
    submitted_at: datetime.datetime
    status_changed_at: datetime.datetime
    target_date: datetime.date | None


class NoticePage(Schema):
    data: list[NoticeOut]
    has_more: bool
    next_cursor: str | None


class ClaimOut(Schema):
    id: int
    number: str
    status: ClaimStatusValue
    status_label: str
    notice_id: int
    policy_id: int
    policy_number: str
    enterprise: EnterpriseRef
    currency: str
    claimed_amount: str
    assignee: str | None
    submitted_at: datetime.datetime
    status_changed_at: datetime.datetime
    target_date: datetime.date | None
    usd_rate: str | None
    rate_date: datetime.date | None
    loss_usd: str | None
    indemnity_usd: str | None
    working: list
    decision_reason: str
    paid_on: datetime.date | None
    paid_amount_usd: str | None
    paid_reference: str
    open_requests: list[str] = Field(description="尚未答复的补充材料要求")


class ClaimPage(Schema):
    data: list[ClaimOut]
    has_more: bool
    next_cursor: str | None


class InfoRequestIn(In):
    items: list[str] = Field(min_length=1, max_length=20, description="需要企业补充的材料，每项一行")


class ClaimApproveIn(In):
    usd_rate: str = Field("1", max_length=30, description="1 单位原币折合美元（最多 6 位小数；美元索赔为 1）")
    rate_date: datetime.date


class ClaimPayIn(In):
    paid_on: datetime.date
    amount_usd: str = Field(max_length=30, description="应等于核定赔款")
    reference: str = Field(max_length=60)


# --- bureau ------------------------------------------------------------------------------------------------

class CountyFigures(Schema):
    county_code: str = Field(description="县区代码（GB/T 2260）；合计行为空")
    county: str
    eligible: int = Field(description="符合条件企业：符合条件尚未出单的，加上已出单的")
    eligible_without_policy: int
    issued: int = Field(description="已出单")
    by_status: dict[str, int] = Field(description="各状态保单数（键为状态代码）")
    insured: int = Field(description="已生效或已到期")
    take_up_percent: float | None = Field(description="参保率（%）= insured ÷ eligible；无符合条件企业时为空")
    confirmed: int = Field(description="审批中、已生效或已到期")
    confirm_percent: float | None = Field(description="确认率（%）= confirmed ÷ issued；未出单时为空")
    premium: str = Field(description="已生效或已到期保单的保费（元）")
    loss_notices: int
    claims_paid: int
    paid_usd: str


class FiguresOut(Schema):
    scheme: SchemeRef
    counties: list[CountyFigures]
    total: CountyFigures


class ImportJobOut(Schema):
    id: int
    file_name: str
    size: int
    status: ImportStatusValue
    status_label: str
    phase: str
    percent: int
    rows_read: int
    error_count: int
    errors_preview: list = Field(description="前几处问题：[行号, 字段, 内容, 问题]")
    error_report: str | None = Field(description="错误报告（CSV）的地址；没有问题时为空")
    enterprises_created: int
    records_written: int
    years: list[int]
    message: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


class ImportJobPage(Schema):
    data: list[ImportJobOut]
    has_more: bool
    next_cursor: str | None


# --- webhooks ----------------------------------------------------------------------------------------------

WebhookEventValue = choices("WebhookEvent", WebhookEvent)


class WebhookIn(In):
    url: str = Field(max_length=500, description="接收地址（https://…）")
    events: list[WebhookEventValue] = Field(min_length=1, max_length=10)


class WebhookOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime.datetime
    secret: str | None = Field(None, description="签名密钥，只在创建时返回一次")


class WebhookPage(Schema):
    data: list[WebhookOut]
    has_more: bool
    next_cursor: str | None


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event: str
    event_id: str
    status: choices("WebhookDeliveryStatus", WebhookDelivery.Status)
    attempts: int
    last_status: int | None
    last_error: str
    created_at: datetime.datetime
    next_attempt_at: datetime.datetime
    delivered_at: datetime.datetime | None
    replay_of: int | None


class DeliveryPage(Schema):
    data: list[DeliveryOut]
    has_more: bool
    next_cursor: str | None
