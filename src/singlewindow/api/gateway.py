"""What happens around every API operation, in this order, before django-ninja sees the request:

1. the token (Authorization: Bearer swk_…): found by its SHA-256, live (not revoked, not expired) — else 401;
2. the rate limit of that token (a fixed window in the shared cache, like the project's other limits) — else 429
   with Retry-After;
3. a read-only token only reads — else 403;
4. POST: the Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field"): the first answer is stored
   and replayed, the key with another body answers 422, a retry while the first is still running 409;
5. the operation itself (routers), in Chinese (the messages are the pages');
6. one audit event per call (action api.call: method, path, status) and the token's last-used time.

The wrapped views are django-ninja's, so its OpenAPI document and docs page stay as they are (not wrapped).
"""
import datetime
import functools
import hashlib
import json
import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from singlewindow.audit.services import record
from singlewindow.http import client_ip

from . import problems, tokens
from .models import Access, ApiToken, IdempotentRequest

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as the OpenAPI document states
_KEY = re.compile(KEY_PATTERN)
KEPT = datetime.timedelta(hours=24)
# A first request still "in flight" after this long died with its worker: a retry may take its key over.
IN_FLIGHT_STALE = datetime.timedelta(minutes=5)


def rate_limit():
    """(requests, seconds): each token's allowance per window. SW_API_RATE_LIMIT="120/60" by default."""
    text = getattr(settings, "SW_API_RATE_LIMIT", "120/60")
    count, _slash, seconds = str(text).partition("/")
    return int(count), int(seconds or 60)


def gateway(view):
    @functools.wraps(view)  # keeps django-ninja's csrf_exempt
    def wrapped(request, *args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return _serve(view, request, args, kwargs)

    return wrapped


def _serve(view, request, args, kwargs):
    scheme, _space, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    try:
        token = tokens.authenticate(secret.strip() if scheme.lower() == "bearer" else "")
    except tokens.TokenRefused as refused:
        return problems.of(request, refused.code, refused.message,
                           headers={"WWW-Authenticate": 'Bearer realm="singlewindow", error="invalid_token"'})
    limited = _count(token)
    if limited is not None:
        return limited
    if token.access == Access.READ and request.method not in SAFE_METHODS:
        response = problems.of(request, "read_only", _("该令牌为只读令牌，不能提交或修改数据。"))
    else:
        request.api_token, request.actor = token, token.actor
        response = _idempotent(request, token, lambda: view(request, *args, **kwargs)) \
            if request.method == "POST" else view(request, *args, **kwargs)
        response = _as_problem(request, response)
    _record_call(request, token, response)
    return response


def _count(token):
    """Count the call in the token's window; the 429 answer once it is past the allowance, else None."""
    allowed, seconds = rate_limit()
    now = timezone.now().timestamp()
    window = int(now // seconds)
    key = f"sw:api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, count := 1, timeout=seconds + 5)
    if count <= allowed:
        return None
    retry = max(1, int((window + 1) * seconds - now + 0.999))
    return problems.of(None, "rate_limited", _("请求过于频繁：每个令牌每 %(s)d 秒最多 %(n)d 次请求，请 %(r)d 秒后再试。")
                       % {"s": seconds, "n": allowed, "r": retry}, headers={"Retry-After": str(retry)})


def _as_problem(request, response):
    """django-ninja's own 405 (a method the path does not take) as a problem, keeping its Allow header."""
    if response.status_code == 405 and response.get("Content-Type", "") != problems.PROBLEM_JSON:
        allow = response.get("Allow", "")
        return problems.of(request, "method_not_allowed", _("该地址不支持 %(method)s 请求。") % {
            "method": request.method if request.method.isascii() and request.method.isalpha() else "此"},
            headers={"Allow": allow} if allow else None)
    return response


def _record_call(request, token, response):
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        record(actor=token.actor, action="api.call", obj=token, ip=client_ip(request), at=now, data={
            "method": request.method[:10], "path": request.path_info[:200], "status": response.status_code,
            **({"replayed": True} if response.get("Idempotent-Replayed") else {}),
        })


# --- Idempotency-Key ---------------------------------------------------------------------------------------

def fingerprint(request):
    """SHA-256 of what makes two requests the same: method, path, query and body. A JSON body is compared as
    JSON (key order and spacing aside); a form upload by its fields and each file's name and content, since a
    client's retry picks a new multipart boundary."""
    digest = hashlib.sha256(f"{request.method} {request.path_info}?{request.META.get('QUERY_STRING', '')}\n".encode())
    if request.content_type == "multipart/form-data":
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values], ensure_ascii=False).encode("utf-8", "surrogatepass"))
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(json.dumps([name, upload.name], ensure_ascii=False).encode("utf-8", "surrogatepass"))
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    raw = request.body
    try:
        parsed = json.loads(raw)
        raw = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        pass
    digest.update(raw)
    return digest.hexdigest()


def _replay(row):
    response = HttpResponse(row.body, status=row.status_code, content_type=row.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _idempotent(request, token, call):
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return problems.of(request, "idempotency_key_missing", _(
            "修改数据的请求须带 Idempotency-Key 请求头（每个操作一个新的随机值，重试时不变）。"),
            errors=[("Idempotency-Key", _("缺少该请求头。"))])
    if not _KEY.match(key):
        return problems.of(request, "idempotency_key_invalid", _(
            "Idempotency-Key 应为 1 至 255 个可见 ASCII 字符（建议使用 UUID）。"),
            errors=[("Idempotency-Key", _("格式有误。"))])
    try:
        print_ = fingerprint(request)
    except Exception:  # an unreadable body (e.g. too large a form): ninja answers it, nothing is stored
        log.info("idempotency: body not read", exc_info=True)
        return call()
    now = timezone.now()
    IdempotentRequest.objects.filter(token=token, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            row = IdempotentRequest.objects.create(token=token, key=key, fingerprint=print_, created_at=now,
                                                   expires_at=now + KEPT)
    except IntegrityError:
        row = IdempotentRequest.objects.filter(token=token, key=key).first()
        if row is None:  # the first answer failed and let its key go a moment ago: a retry is welcome
            return problems.of(request, "idempotency_in_flight", _("同一 Idempotency-Key 的请求刚刚结束，请重试。"),
                               headers={"Retry-After": "1"})
        if row.fingerprint != print_:
            return problems.of(request, "idempotency_key_reused", _(
                "该 Idempotency-Key 已用于内容不同的另一请求；新的操作请使用新的 Idempotency-Key。"),
                errors=[("Idempotency-Key", _("已用于另一请求。"))])
        if row.state == IdempotentRequest.State.DONE:
            return _replay(row)
        stale = row.created_at < now - IN_FLIGHT_STALE
        if not (stale and IdempotentRequest.objects.filter(
                pk=row.pk, state=IdempotentRequest.State.IN_FLIGHT, created_at=row.created_at).update(created_at=now)):
            return problems.of(request, "idempotency_in_flight", _(
                "同一 Idempotency-Key 的上一个请求仍在处理中，请稍后重试。"), headers={"Retry-After": "1"})
    try:
        response = call()
    except BaseException:
        IdempotentRequest.objects.filter(pk=row.pk).delete()
        raise
    if response.status_code >= 500 or response.streaming:
        IdempotentRequest.objects.filter(pk=row.pk).delete()  # not an answer to keep: a retry runs again
    else:
        IdempotentRequest.objects.filter(pk=row.pk).update(
            state=IdempotentRequest.State.DONE, status_code=response.status_code,
            content_type=response.get("Content-Type", "")[:100], body=response.content.decode("utf-8", "replace"))
    return response
