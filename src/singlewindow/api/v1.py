"""The REST API /api/v1/ (django-ninja): the NinjaAPI, how every error becomes a problem, and the OpenAPI document.

Routers live in routes/; each operation fetches through `visible_to(request.actor)` and acts through the
services the pages call. The docs page (/api/v1/docs) is django-ninja's Swagger UI from its own static files
(`ninja` in INSTALLED_APPS), so it needs no CDN and runs under the site's Content-Security-Policy.
"""
import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from singlewindow.machines import Refused

from . import problems
from .gateway import KEY_PATTERN
from .pagination import BadCursor
from .schemas import Problem

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    """The token the gateway found (gateway.py does the checking, before the operation runs)."""

    def authenticate(self, request, token):
        return getattr(request, "api_token", None)


class Forbidden(Exception):
    """This token's organisation may not use the operation (a bureau's token on an insurer's endpoint)."""


ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429)
DESCRIPTION = """单一窗口（小微企业出口信用保险）开放接口，供保险公司、商务主管部门和企业自己的系统对接。

- 认证：`Authorization: Bearer swk_…`（机构接口令牌，由单一窗口管理员或本机构的令牌管理员创建，只显示一次）。
- 分页：`limit`（1–100）与 `after`（上一页的 `next_cursor`），按创建先后从新到旧；`has_more` 为 false 时结束。
- 错误：RFC 9457 `application/problem+json`，`code` 供程序判断，`detail` 为中文说明，`errors` 指出字段。
- 修改数据的 POST 须带 `Idempotency-Key`：同一键的重试返回首次的结果（响应头 `Idempotent-Replayed: true`）；
  同一键、不同内容返回 422；首次请求仍在处理时返回 409。键按令牌区分，保留 24 小时。
- 限流：每个令牌每个时间窗口有固定次数，超过返回 429 并带 `Retry-After`（秒）。
"""


class Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document(schema)


def document(schema):
    """The generated document with what the gateway adds to every operation: the problem answers (as
    application/problem+json) and, on POST, the Idempotency-Key header."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    for defs_name, defs in list(components["Problem"].pop("$defs", {}).items()):
        components.setdefault(defs_name, defs)
    problem = {"description": "problem", "content": {problems.PROBLEM_JSON: {
        "schema": {"$ref": "#/components/schemas/Problem"}}}}
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for key in [k for k in responses if not isinstance(k, str)]:  # one key per status: "200", not 200 too
                value = responses.pop(key)
                responses[str(key)] = responses.get(str(key)) or value
            for status in ERROR_STATUSES:
                key = str(status)
                described = responses.get(key) or {}
                responses[key] = {**problem, "description": described.get("description") or str(
                    problems.CODES.get({400: "bad_request", 401: "unauthenticated", 403: "forbidden",
                                        404: "not_found", 409: "state", 422: "validation",
                                        429: "rate_limited"}[status])[1])}
            if method == "post":
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append({
                        "name": "Idempotency-Key", "in": "header", "required": True,
                        "description": "每个操作一个新的随机值（建议 UUID），重试时不变",
                        "schema": {"type": "string", "pattern": KEY_PATTERN, "minLength": 1, "maxLength": 255},
                    })
    return schema


api = Api(
    title="单一窗口开放接口", version="1", description=DESCRIPTION, urls_namespace="api:v1", auth=TokenAuth(),
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False, "tryItOutEnabled": False}),
    docs_url="/docs",
)


# --- every error as a problem ------------------------------------------------------------------------------

PYDANTIC_MESSAGES = {
    "missing": lambda ctx: _("缺少此项。"),
    "string_too_long": lambda ctx: _("不能超过 %(n)s 个字符。") % {"n": ctx.get("max_length")},
    "string_too_short": lambda ctx: _("不能少于 %(n)s 个字符。") % {"n": ctx.get("min_length")},
    "too_long": lambda ctx: _("最多 %(n)s 项。") % {"n": ctx.get("max_length")},
    "too_short": lambda ctx: _("至少 %(n)s 项。") % {"n": ctx.get("min_length")},
    "greater_than_equal": lambda ctx: _("不能小于 %(n)s。") % {"n": ctx.get("ge")},
    "less_than_equal": lambda ctx: _("不能大于 %(n)s。") % {"n": ctx.get("le")},
    "greater_than": lambda ctx: _("应大于 %(n)s。") % {"n": ctx.get("gt")},
    "less_than": lambda ctx: _("应小于 %(n)s。") % {"n": ctx.get("lt")},
    "enum": lambda ctx: _("应为以下之一：%(values)s。") % {"values": ctx.get("expected")},
    "literal_error": lambda ctx: _("应为以下之一：%(values)s。") % {"values": ctx.get("expected")},
    "json_invalid": lambda ctx: _("请求体不是有效的 JSON。"),
    "value_error": lambda ctx: _("不能包含空字符（NUL）或无效的 Unicode 字符。"),
}
_KIND = [
    (("int_",), lambda: _("应为整数。")),
    (("float_", "decimal_"), lambda: _("应为数字。")),
    (("date", "datetime"), lambda: _("应为日期（YYYY-MM-DD）。")),
    (("bool_",), lambda: _("应为 true 或 false。")),
    (("list_", "tuple_", "set_"), lambda: _("应为数组。")),
    (("string_", "str_"), lambda: _("应为字符串。")),
    (("dict_", "model_"), lambda: _("应为 JSON 对象。")),
]


def message_of(error):
    kind = error.get("type", "")
    if kind in PYDANTIC_MESSAGES:
        return PYDANTIC_MESSAGES[kind](error.get("ctx") or {})
    for starts, message in _KIND:
        if kind.startswith(starts):
            return message()
    return _("取值无效。")


def field_of(error):
    """The field a pydantic error is about, as the client named it: body's fields without the parameter's name."""
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] == "body":
        loc = loc[2:] if len(loc) > 2 else loc[1:]
    elif loc and loc[0] in ("query", "path", "header", "form", "file", "cookie"):
        loc = loc[1:]
    return ".".join(loc) or None


@api.exception_handler(NinjaValidationError)
def invalid_request(request, error):
    fields = [(field_of(e), message_of(e)) for e in error.errors]
    if any(e.get("type") == "json_invalid" for e in error.errors):
        return problems.of(request, "bad_request", _("请求体不是有效的 JSON。"), errors=fields)
    detail = "；".join(f"{field}：{message}" if field else str(message) for field, message in fields)
    return problems.of(request, "validation", detail or _("请求内容未通过校验。"), errors=fields)


def service_errors(error):
    """[(field, message)] of a services' ValidationError (its dict's keys are the fields the request names)."""
    if hasattr(error, "error_dict"):
        return [(None if field == "__all__" else field, message)
                for field, messages in error.message_dict.items() for message in messages]
    return [(None, message) for message in error.messages]


def refused_fields(request, error, fields):
    return problems.of(request, "validation", "；".join(str(m) for _f, m in fields) or _("请求内容未通过校验。"),
                       errors=fields)


@api.exception_handler(DjangoValidationError)
def service_invalid(request, error):
    return refused_fields(request, error, service_errors(error))


@api.exception_handler(Refused)
def service_refused(request, error):
    code = error.code if error.code in problems.CODES and problems.CODES[error.code][0] == 409 else "refused"
    return problems.response(409, error.code or code, error.message, instance=request.path,
                             title=problems.CODES[code][1])


@api.exception_handler(BadCursor)
def bad_cursor(request, error):
    return problems.of(request, "invalid_cursor", str(error), errors=[("after", str(error))])


@api.exception_handler(Forbidden)
def forbidden(request, error):
    return problems.of(request, "forbidden", str(error) or _("本令牌所属机构不能使用该接口。"))


@api.exception_handler(PermissionDenied)
def permission_denied(request, error):
    return problems.of(request, "forbidden", _("本令牌所属机构不能进行该操作。"))


@api.exception_handler(ObjectDoesNotExist)
def does_not_exist(request, error):
    return problems.of(request, "not_found", _("该记录不存在，或不属于本令牌所属机构。"))


@api.exception_handler(Http404)
def not_found(request, error):
    return problems.of(request, "not_found", _("该记录不存在，或不属于本令牌所属机构。"))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, error):
    return problems.of(request, "unauthenticated", _("请在 Authorization 请求头中提供接口令牌：Bearer swk_…"))


@api.exception_handler(HttpError)
def http_error(request, error):
    status = error.status_code
    code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            415: "unsupported_media_type", 429: "rate_limited"}.get(status, "bad_request")
    if status >= 500:
        status, code = 400, "bad_request"
    return problems.of(request, code, _("请求无法处理：%(why)s") % {"why": problems.CODES[code][1]}, status=status)


@api.exception_handler(Exception)
def unexpected(request, error):
    log.exception("api: %s %s failed", request.method, request.path)
    return problems.of(request, "server_error", _("服务器处理请求时出错，已记录。请稍后重试；如仍出错请联系单一窗口。"))


from .routes import alerts, bureau, cases, common, policies, webhooks

api.add_router("", common.router)
api.add_router("", policies.router)
api.add_router("", alerts.router)
api.add_router("", cases.router)
api.add_router("", bureau.router)
api.add_router("", webhooks.router)
