"""Errors as RFC 9457 problem details (application/problem+json), one shape for every refusal of the API.

    {"type": "/api/problems/not_found", "title": "未找到", "status": 404, "code": "not_found",
     "detail": "保单不存在或不在本机构的服务区域内。", "instance": "/api/v1/policies/9",
     "errors": [{"field": "reason", "message": "请填写原因。"}]}

`code` is for programs (it never changes meaning), `detail` is the Chinese message a person reads (the same
words the pages show), `errors` names each refused field. `type` resolves to a page describing the code.
"""
import json

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

PROBLEM_JSON = "application/problem+json"

# code: (status, title). A business refusal (machines.Refused) keeps its own code under status 409.
CODES = {
    "bad_request": (400, _("请求有误")),
    "invalid_cursor": (400, _("分页游标无效")),
    "idempotency_key_missing": (400, _("缺少 Idempotency-Key")),
    "idempotency_key_invalid": (400, _("Idempotency-Key 格式有误")),
    "unauthenticated": (401, _("未提供有效的接口令牌")),
    "token_revoked": (401, _("接口令牌已撤销")),
    "token_expired": (401, _("接口令牌已过期")),
    "forbidden": (403, _("无权访问")),
    "read_only": (403, _("只读令牌不能修改数据")),
    "not_found": (404, _("未找到")),
    "method_not_allowed": (405, _("不支持该请求方法")),
    "idempotency_in_flight": (409, _("同一 Idempotency-Key 的请求正在处理")),
    "already": (409, _("无需重复操作")),
    "state": (409, _("当前状态不允许该操作")),
    "duplicate": (409, _("重复")),
    "refused": (409, _("业务规则不允许该操作")),
    "unsupported_media_type": (415, _("不支持的内容类型")),
    "validation": (422, _("请求内容未通过校验")),
    "idempotency_key_reused": (422, _("Idempotency-Key 已用于另一请求")),
    "rate_limited": (429, _("请求过于频繁")),
    "server_error": (500, _("服务器内部错误")),
}


def type_of(code):
    return f"/api/problems/{code}"


def body(status, code, detail, *, errors=None, instance=None, title=None):
    known = CODES.get(code)
    problem = {
        "type": type_of(code),
        "title": str(title or (known[1] if known else CODES["refused"][1])),
        "status": status,
        "code": code,
        "detail": str(detail),
    }
    if instance:
        problem["instance"] = instance
    if errors:
        problem["errors"] = [{"field": field, "message": str(message)} for field, message in errors]
    return problem


def response(status, code, detail, *, errors=None, instance=None, headers=None, title=None):
    content = json.dumps(body(status, code, detail, errors=errors, instance=instance, title=title),
                         ensure_ascii=False)
    answer = HttpResponse(content, status=status, content_type=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


def of(request, code, detail, *, status=None, errors=None, headers=None):
    """The problem response `code` names, for `request` (its path is the instance)."""
    status = status or CODES[code][0]
    instance = request.path if request is not None and request.path.isprintable() else None
    return response(status, code, detail, errors=errors, instance=instance, headers=headers)


def unreadable():
    """The input edge's refusal (http.bad_request) of a request to the API: a NUL or an unreadable encoding in its
    address, query or body. Nothing of the request is echoed."""
    from django.utils.translation import gettext as _

    return response(400, "bad_request", _("请求的地址、查询参数或内容含有无法识别的字符或编码（例如空字符），未作任何处理。"))
