"""The token page (/api/tokens/): list, make (the secret shown once), revoke; and the API's own small answers."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.http import check_step, client_ip, is_checked
from singlewindow.refusals import attempt

from . import problems, tokens
from .forms import TokenForm
from .models import ApiToken

signed_in = role_required(*Role.values)


def _manager(request):
    if not tokens.may_manage(request.user):
        raise PermissionDenied
    return request.user


def _listed(user):
    return (ApiToken.objects.visible_to(user)
            .select_related("insurer_branch", "region", "enterprise", "created_by", "revoked_by"))


@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def tokens_page(request):
    user = _manager(request)
    form = TokenForm(request.POST or None, user=user)
    secret = token = None
    if request.method == "POST" and form.is_valid():
        role, organisation = form.organisation()
        with attempt(request, form) as tried:
            token, secret = tokens.create(
                user, role=role, organisation=organisation, name=form.cleaned_data["name"],
                expires_on=form.cleaned_data["expires_on"], access=form.cleaned_data["access"], ip=client_ip(request))
        if tried.ok:
            form = TokenForm(user=user)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "api/tokens.html", {
        "form": form, "tokens": _listed(user)[:200], "secret": secret, "created": token, "now": timezone.now(),
        "docs_url": reverse("api:v1:openapi-view"),
    }, status=status)



@signed_in
@require_http_methods(["GET", "POST"])
def revoke(request, pk):
    user = _manager(request)
    token = _listed(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    back = reverse("api:tokens")
    if request.method == "GET" or not is_checked(request):
        return check_step(request, title=_("撤销接口令牌"), back_url=back,
                          button=pgettext("api token", "确认撤销"),
                          summary=_("撤销后使用该令牌的系统立即无法再调用接口，且不能恢复；需要时请新建令牌。"),
                          items=[f"{token.name} · {token.prefix}… · {token.organisation}"])
    with attempt(request) as tried:
        tokens.revoke(user, token.pk, ip=client_ip(request))
    if tried.ok:
        messages.success(request, _("已撤销令牌 %(prefix)s…。") % {"prefix": token.prefix})
    return redirect(back)


@require_GET
def problem_type(request, code):
    """What a problem type means: its status and title (the `type` of every problem the API answers)."""
    if code not in problems.CODES:
        raise Http404
    status, title = problems.CODES[code]
    return JsonResponse({"type": problems.type_of(code), "code": code, "status": status, "title": str(title)},
                        json_dumps_params={"ensure_ascii": False})


def unknown(request):
    return problems.of(request, "not_found", _("没有这个接口地址。接口说明见 /api/v1/docs。"))



@signed_in
@require_GET
def webhook_log(request):
    """事件投递记录: the subscriptions of the tokens the user manages and their latest deliveries, each with
    重新投递."""
    from .models import WebhookDelivery, WebhookSubscription

    user = _manager(request)
    subscriptions = WebhookSubscription.objects.filter(token__in=_listed(user)).select_related("token")
    deliveries = (WebhookDelivery.objects.filter(subscription__in=subscriptions)
                  .select_related("subscription__token")[:100])
    return render(request, "api/webhooks.html", {"subscriptions": subscriptions, "deliveries": deliveries})


@signed_in
@require_http_methods(["POST"])
def webhook_replay(request, pk):
    from . import webhooks
    from .models import WebhookDelivery

    user = _manager(request)
    delivery = WebhookDelivery.objects.filter(pk=pk, subscription__token__in=_listed(user)).first()
    if delivery is None:
        raise Http404
    try:
        webhooks.replay(None, delivery.pk, actor=user, ip=client_ip(request))
    except WebhookDelivery.DoesNotExist:  # its token was revoked or expired: its subscriptions hear nothing
        messages.warning(request, _("该订阅的令牌已撤销或过期，不能重新投递。"))
    else:
        messages.success(request, _("已重新投递事件 %(id)s。") % {"id": delivery.event_id})
    return redirect("api:webhooks")
