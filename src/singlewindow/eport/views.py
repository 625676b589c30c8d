"""卡介质 login, the card-signing step of 确认投保, and the 客户端控件下载 page."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import LoginMethod, Role
from singlewindow.http import attachment, client_ip, safe_next_path
from singlewindow.machines import Refused
from singlewindow.policies.forms import ConfirmForm, ReasonForm
from singlewindow.policies.models import Policy
from singlewindow.policies.services import agreement_problem, check_reason
from singlewindow.validators import clean_person_name, normalise_phone

from . import package, services

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_POST
def login_challenge(request):
    try:
        challenge = services.new_login_challenge(request.session, ip=client_ip(request))
    except Refused as refused:
        return JsonResponse({"code": refused.code, "error": services.summary(refused.code)}, status=429)
    return JsonResponse({"challenge": challenge.nonce, "data": challenge.data,
                         "expires_in": int(services.challenge_lifetime().total_seconds())})


@require_POST
def card_login(request):
    """The 卡介质 form: a challenge, the card's certificate and its signature of the challenge."""
    next_url = safe_next_path(request)
    try:
        user, card = services.login_with_card(
            challenge=request.POST.get("challenge", ""), certificate=request.POST.get("certificate", ""),
            signature=request.POST.get("signature", ""),
            binding_hash=services.session_binding(request.session), ip=client_ip(request),
        )
    except Refused as refused:
        messages.error(request, _("卡介质登录失败。%(reason)s") % {"reason": refused.message})
        query = {"method": "card", **({"next": next_url} if next_url else {})}
        return redirect(f"{reverse('portal:login')}?{urlencode(query)}")
    backend = MODEL_BACKEND if MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS else settings.AUTHENTICATION_BACKENDS[-1]
    login(request, user, backend=backend)
    request.session.pop(services.SESSION_BINDING, None)  # a fresh binding for what this login signs
    request.session["login_method"] = LoginMethod.CARD
    request.session[services.SESSION_CARD] = card.pk
    return redirect(next_url or "portal:home")


def _signing_policy(request, pk):
    """(policy, None) for a card session about to sign a decision on one of its policies, else (None, answer)."""
    if request.session.get("login_method") != LoginMethod.CARD:
        return None, JsonResponse({"error": _("只有用电子口岸卡登录的用户需要用卡签名。")}, status=400)
    policy = (Policy.objects.visible_to(request.user).select_related("scheme__agreement", "enterprise")
              .filter(pk=pk).first())
    if policy is None:
        raise Http404
    return policy, None


def _challenge_answer(make):
    try:
        challenge = make()
    except Refused as refused:
        return JsonResponse({"error": refused.message}, status=400)
    return JsonResponse({"challenge": challenge.nonce, "data": challenge.data, "card": challenge.card.number})


@role_required(Role.ENTERPRISE)
@require_POST
def confirm_challenge(request, pk):
    """The data a card user's card signs at 确认投保, built from the form as it is about to be submitted."""
    policy, refusal = _signing_policy(request, pk)
    if refusal:
        return refusal
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": _("请先按提示填写确认信息。")}, status=400)
    data = form.cleaned_data
    try:
        contact_name = clean_person_name(data["contact_name"])
        contact_phone = normalise_phone(data["contact_phone"])
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    if problem := agreement_problem(policy.scheme.agreement, data["agreement_sha256"]):
        return JsonResponse({"error": problem}, status=400)
    return _challenge_answer(lambda: services.new_confirmation_challenge(
        request.session, request.user, policy, contact_name=contact_name, contact_phone=contact_phone,
        contact_email=data["contact_email"], agreement_sha256=data["agreement_sha256"],
    ))


@role_required(Role.ENTERPRISE)
@require_POST
def decline_challenge(request, pk):
    """The data a card user's card signs at 放弃投保: the policy, the enterprise, the reason as submitted."""
    policy, refusal = _signing_policy(request, pk)
    if refusal:
        return refusal
    form = ReasonForm(request.POST)
    try:
        reason = check_reason(form.cleaned_data["reason"] if form.is_valid() else "")
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return _challenge_answer(lambda: services.new_decline_challenge(
        request.session, request.user, policy, reason=reason))


@require_GET
def control_download(request):
    """客户端控件下载: the agent, how to install and start it, and what each error code means."""
    codes = [(code, title, advice) for code, (title, advice) in services.CODES.items()]
    return render(request, "eport/control.html", {
        "wheel": package.wheel_name(), "agent_url": settings.EPORT_AGENT_URL, "codes": codes,
        "portal_origin": f"{request.scheme}://{request.get_host()}",
    })


@require_GET
def agent_download(request, filename):
    name, data = package.build_wheel()
    if filename != name:
        raise Http404
    return attachment(data, filename=name, content_type="application/zip")
