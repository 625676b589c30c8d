"""Pages of the account side: 立即注册, 忘记密码, 忘记用户名, 账户设置, 操作员管理, 账号解锁."""
import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from singlewindow.enterprises.services import ORG_CODE_EXISTS
from singlewindow.forms import add_service_errors
from singlewindow.http import check_step, client_ip, is_checked
from singlewindow.portal.views import HOTLINE
from singlewindow.refusals import attempt

from . import lockout, services
from .decorators import role_required
from .forms import (
    ChangePasswordForm,
    CodeForm,
    MobileForm,
    OperatorForm,
    ProfileForm,
    RecipientForm,
    RegisterCodeForm,
    RegisterForm,
    ResetPasswordForm,
)
from .logmask import mask_recipient
from .models import CodePurpose, Role, User

REGISTER_KEY = "sw_register"
MOBILE_KEY = "sw_new_mobile"
PURPOSES = {"password": CodePurpose.RESET_PASSWORD, "username": CodePurpose.RECOVER_USERNAME}
TITLES = {"password": gettext_lazy("忘记密码"), "username": gettext_lazy("忘记用户名")}


def _posted(request):
    """The submitted data, or None on GET (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


def _invalid(request, template, context):
    return render(request, template, context, status=400)


def _has_code(error, field, code):
    return any(e.code == code for e in getattr(error, "error_dict", {}).get(field, []))


def _resend(request, send, done):
    """重新发送: the answer (sent, or the rate limit) comes back as a message on the same page."""
    with attempt(request, invalid_level=messages.ERROR):
        send()
        messages.info(request, done)


# --- 立即注册 -----------------------------------------------------------------------------------------

def _code_standing(request, value):
    """What 立即注册 tells of a typed code ({"state": …, "message": …}); rate-limited per client address."""
    try:
        services.limit_code_checks(client_ip(request))
        _uscc, state = services.registration_standing(value)
    except ValidationError as error:
        return {"state": "invalid", "message": error.messages[0]}
    return {"state": state}


@require_POST
def register_check(request):
    """立即注册's 查询 (htmx, on leaving the code box or on the button): the code's standing, nothing else."""
    return render(request, "accounts/_code_standing.html",
                  {"standing": _code_standing(request, request.POST.get("uscc")), "hotline": HOTLINE})


@require_http_methods(["GET", "POST"])
def register(request):
    """立即注册, step 1: the enterprise, its first account and the contact mobile the code goes to."""
    if request.user.is_authenticated:
        messages.info(request, _("您已登录。如需为另一家企业注册账号，请先退出。"))
        return redirect("portal:home")
    pending = request.session.get(REGISTER_KEY) or {}
    form = RegisterForm(_posted(request), initial={k: v for k, v in pending.items() if k != "password_hash"})
    standing = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "password2"}
        try:
            services.limit_code_checks(client_ip(request))  # the answer tells the code's standing too
            pending = services.check_registration(**data)
            services.send_registration_code(pending, ip=client_ip(request))
        except ValidationError as error:
            standing = _standing_of(error)
            add_service_errors(form, error)
        else:
            request.session[REGISTER_KEY] = pending
            return redirect("accounts:register_verify")
    context = {"form": form, "hotline": HOTLINE, "standing": standing}
    if request.method == "POST":
        return _invalid(request, "accounts/register.html", context)
    return render(request, "accounts/register.html", context)


def _standing_of(error):
    """The code's standing a refused registration revealed (to show its ways forward), or None."""
    for code, state in ((ORG_CODE_EXISTS, services.REGISTERED), (services.FIRST_ACCOUNT, services.FIRST_ACCOUNT)):
        if _has_code(error, "uscc", code):
            return {"state": state}
    return None


@require_http_methods(["GET", "POST"])
def register_verify(request):
    """立即注册, step 2: the SMS code; the enterprise and its account are created only now."""
    pending = request.session.get(REGISTER_KEY)
    if not pending:
        return redirect("portal:register")
    resend = request.POST.get("action") == "resend"
    form = RegisterCodeForm(request.POST if request.method == "POST" and not resend else None)
    # The username box shows once a right code met a taken name, and stays while it is being changed.
    context = {"form": form, "pending": pending, "mobile": mask_recipient(pending["mobile"]), "hotline": HOTLINE,
               "ask_username": "username" in request.POST}
    if request.method == "POST":
        try:
            if resend:
                _resend(request, lambda: services.send_registration_code(pending, ip=client_ip(request)),
                        _("验证码已重新发送。"))
                return redirect("accounts:register_verify")
            if form.is_valid():
                username = form.cleaned_data["username"] if "username" in request.POST else None
                user = services.register(pending, code=form.cleaned_data["code"], username=username,
                                         ip=client_ip(request))
                del request.session[REGISTER_KEY]
                messages.success(request, _("注册成功：%(name)s（%(uscc)s）。请使用用户名 %(username)s 和您设置的密码登录。")
                                 % {"name": user.enterprise.name, "uscc": user.enterprise.uscc,
                                    "username": user.username})
                return redirect("portal:login")
        except ValidationError as error:
            if getattr(error, "code", None) == ORG_CODE_EXISTS:  # registered by someone else meanwhile
                context["exists"] = True
                form.add_error(None, error.messages[0])
            elif "username" in getattr(error, "error_dict", {}):
                context["ask_username"] = True
                if "username" not in form.data:  # offer the name asked for, to change
                    form.data = form.data.copy()
                    form.data["username"] = pending["username"]
                form.add_error("username", error.error_dict["username"])
            elif hasattr(error, "error_dict"):
                for message in error.messages:
                    form.add_error(None, message)
            else:
                form.add_error("code", error.messages)
        return _invalid(request, "accounts/register_verify.html", context)
    return render(request, "accounts/register_verify.html", context)


# --- 忘记密码 / 忘记用户名 ----------------------------------------------------------------------------

def _recovery(request, kind):
    if kind not in PURPOSES:
        raise Http404
    return request.session.get(f"sw_recover_{kind}")


def _verified(state):
    if not state or not state.get("verified_at"):
        return False
    verified_at = datetime.datetime.fromisoformat(state["verified_at"])
    return timezone.now() - verified_at < settings.ACCOUNT_CODE_TTL


@require_http_methods(["GET", "POST"])
def recover_start(request, kind):
    """忘记密码 / 忘记用户名, step 1: a code to the registered mobile or email.

    The answer is the same whether or not an account has that mobile or email.
    """
    if kind not in PURPOSES:
        raise Http404
    form = RecipientForm(_posted(request))
    if request.method == "POST":
        if form.is_valid():
            try:
                channel, recipient = services.request_recovery_code(
                    PURPOSES[kind], form.cleaned_data["recipient"], ip=client_ip(request))
            except ValidationError as error:
                add_service_errors(form, ValidationError({"recipient": error.messages}))
            else:
                request.session[f"sw_recover_{kind}"] = {"channel": channel, "recipient": recipient,
                                                         "verified_at": None}
                return redirect("accounts:recover_verify", kind=kind)
        return _invalid(request, "accounts/recover_start.html", {"form": form, "kind": kind, "title": TITLES[kind]})
    return render(request, "accounts/recover_start.html", {"form": form, "kind": kind, "title": TITLES[kind]})


@require_http_methods(["GET", "POST"])
def recover_verify(request, kind):
    state = _recovery(request, kind)
    if not state:
        return redirect(f"portal:forgot_{'password' if kind == 'password' else 'username'}")
    resend = request.POST.get("action") == "resend"
    form = CodeForm(request.POST if request.method == "POST" and not resend else None)
    context = {"form": form, "kind": kind, "title": TITLES[kind], "recipient": mask_recipient(state["recipient"]),
               "by_email": state["channel"] == "email"}
    if request.method == "POST":
        try:
            if resend:
                _resend(request, lambda: services.request_recovery_code(PURPOSES[kind], state["recipient"],
                                                                        ip=client_ip(request)),
                        _("已重新处理您的请求；以最新收到的验证码为准。"))
                return redirect("accounts:recover_verify", kind=kind)
            if form.is_valid():
                services.verify_recovery_code(PURPOSES[kind], state["recipient"], form.cleaned_data["code"])
                state["verified_at"] = timezone.now().isoformat()
                request.session[f"sw_recover_{kind}"] = state
                return redirect("accounts:recover_reset" if kind == "password" else "accounts:recover_result")
        except ValidationError as error:
            add_service_errors(form, ValidationError({"code": error.messages}))
        return _invalid(request, "accounts/recover_verify.html", context)
    return render(request, "accounts/recover_verify.html", context)


@require_http_methods(["GET", "POST"])
def recover_reset(request):
    """忘记密码, step 3: choose the account (one mobile may serve several companies) and a new password."""
    state = _recovery(request, "password")
    if not _verified(state):
        messages.error(request, _("验证已过期，请重新获取验证码。"))
        return redirect("portal:forgot_password")
    accounts = list(services.accounts_of(state["channel"], state["recipient"]))
    form = ResetPasswordForm(_posted(request), usernames=[u.username for u in accounts])
    context = {"form": form, "accounts": accounts, "hotline": HOTLINE}
    if request.method == "POST":
        if form.is_valid():
            with attempt(request, form):
                user = services.reset_password(state["channel"], state["recipient"], ip=client_ip(request),
                                               username=form.cleaned_data["username"],
                                               password=form.cleaned_data["password"])
                del request.session["sw_recover_password"]
                messages.success(request, _("账号 %(username)s 的密码已重置，请用新密码登录。") % {"username": user.username})
                return redirect("portal:login")
        return _invalid(request, "accounts/recover_reset.html", context)
    return render(request, "accounts/recover_reset.html", context)


def recover_result(request):
    """忘记用户名, step 3: the accounts of this mobile or email, each with the enterprise it acts for."""
    state = _recovery(request, "username")
    if not _verified(state):
        messages.error(request, _("验证已过期，请重新获取验证码。"))
        return redirect("portal:forgot_username")
    accounts = services.recover_usernames(state["channel"], state["recipient"], ip=client_ip(request))
    del request.session["sw_recover_username"]
    return render(request, "accounts/recover_result.html", {"accounts": accounts, "hotline": HOTLINE})


# --- 账户设置 -----------------------------------------------------------------------------------------

def _signed_in(view):
    return role_required(*Role.values)(view)


@_signed_in
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(_posted(request), initial={"display_name": user.display_name, "email": user.email})
    if request.method == "POST":
        if form.is_valid():
            with attempt(request, form):
                services.update_profile(user, ip=client_ip(request), **form.cleaned_data)
                messages.success(request, _("基本信息已保存。"))
                return redirect("accounts:profile")
        return _invalid(request, "accounts/profile.html", {"form": form, "tab": "profile"})
    return render(request, "accounts/profile.html", {"form": form, "tab": "profile"})


@_signed_in
@require_http_methods(["GET", "POST"])
def change_password(request):
    form = ChangePasswordForm(_posted(request))
    if request.method == "POST":
        if form.is_valid():
            with attempt(request, form):
                services.change_password(request.user, ip=client_ip(request),
                                         old_password=form.cleaned_data["old_password"],
                                         password=form.cleaned_data["password"])
                # Every session of this user ends, this one too: log in again with the new password.
                logout(request)
                messages.success(request, _("密码已修改，所有已登录的会话均已退出，请用新密码重新登录。"))
                return redirect("portal:login")
        return _invalid(request, "accounts/password.html", {"form": form, "tab": "password"})
    return render(request, "accounts/password.html", {"form": form, "tab": "password"})


@_signed_in
@require_http_methods(["GET", "POST"])
def change_mobile(request):
    """更换手机号码: a code to the new number, then the change."""
    pending = request.session.get(MOBILE_KEY)
    action = request.POST.get("action", "send")
    mobile_form = MobileForm(_posted(request) if action == "send" else None)
    code_form = CodeForm(_posted(request) if action == "verify" else None)
    context = {"mobile_form": mobile_form, "code_form": code_form, "tab": "mobile",
               "pending": mask_recipient(pending) if pending else None}
    if request.method == "POST":
        with attempt(request, mobile_form if action == "send" else code_form):
            if action == "cancel":
                request.session.pop(MOBILE_KEY, None)
                return redirect("accounts:mobile")
            if action == "send" and mobile_form.is_valid():
                request.session[MOBILE_KEY] = services.send_mobile_code(
                    request.user, mobile_form.cleaned_data["mobile"], ip=client_ip(request))
                messages.info(request, _("验证码已发送至新手机号码，10分钟内有效。"))
                return redirect("accounts:mobile")
            if action == "verify" and pending and code_form.is_valid():
                services.change_mobile(request.user, pending, code=code_form.cleaned_data["code"],
                                       ip=client_ip(request))
                del request.session[MOBILE_KEY]
                messages.success(request, _("手机号码已更换为 %(mobile)s。") % {"mobile": mask_recipient(pending)})
                return redirect("accounts:profile")
        return _invalid(request, "accounts/mobile.html", context)
    return render(request, "accounts/mobile.html", context)


# --- 操作员管理 (the enterprise's legal-person account) ------------------------------------------------

def _manager(view):
    @role_required(Role.ENTERPRISE)
    def wrapped(request, *args, **kwargs):
        if not request.user.can_manage_operators:
            return render(request, "accounts/not_manager.html", {"tab": "operators"}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


@_manager
def operators(request):
    users = list(services.operators_of(request.user))
    locked = lockout.locked_usernames(u.username for u in users)
    for user in users:
        user.locked = user.username in locked
    return render(request, "accounts/operators.html", {"users": users, "tab": "operators"})


@_manager
@require_http_methods(["GET", "POST"])
def operator_add(request):
    form = OperatorForm(_posted(request))
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "password2"}
            with attempt(request, form):
                operator = services.add_operator(request.user, ip=client_ip(request), **data)
                messages.success(request, _("已添加操作员 %(username)s。请将用户名和初始密码告知本人，并提醒其登录后修改密码。")
                                 % {"username": operator.username})
                return redirect("accounts:operators")
        return _invalid(request, "accounts/operator_add.html", {"form": form, "tab": "operators"})
    return render(request, "accounts/operator_add.html", {"form": form, "tab": "operators"})


OPERATOR_ACTIONS = {
    "disable": (lambda actor, pk, ip: services.set_operator_active(actor, pk, False, ip=ip),
                gettext_lazy("已停用操作员 %(u)s。")),
    "enable": (lambda actor, pk, ip: services.set_operator_active(actor, pk, True, ip=ip),
               gettext_lazy("已启用操作员 %(u)s。")),
    "remove": (lambda actor, pk, ip: services.remove_operator(actor, pk, ip=ip), gettext_lazy("已删除操作员 %(u)s。")),
}


@_manager
@require_POST
def operator_action(request, pk, action):
    if action == "remove" and not is_checked(request):  # 删除 cannot be undone: say so, then only this page's POST acts
        target = services.operators_of(request.user).filter(pk=pk).first()
        if target is None:
            raise Http404
        return check_step(
            request, title=_("删除操作员"), back_url=reverse("accounts:operators"),
            summary=_("删除后该账号不能再登录，也不能恢复；它做过的操作仍保留在审计记录中。"),
            items=[f"{target.username} · {target.display_name}" if target.display_name else target.username],
            button=_("确认删除"))
    try:
        if action == "unlock":
            target = services.operators_of(request.user).filter(pk=pk).first()
            if target is None:
                raise User.DoesNotExist
            services.unlock(request.user, username=target.username, ip=client_ip(request))
            messages.success(request, _("已解除 %(u)s 的登录锁定。") % {"u": target.username})
        elif action in OPERATOR_ACTIONS:
            run, done = OPERATOR_ACTIONS[action]
            operator = run(request.user, pk, client_ip(request))
            messages.success(request, done % {"u": operator.username})
        else:
            raise Http404
    except User.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("accounts:operators")


# --- 账号解锁 (the single-window administrator) -----------------------------------------------------------------

@role_required(Role.STAFF)
@require_http_methods(["GET", "POST"])
def locked(request):
    if request.method == "POST":
        username = request.POST.get("username") or None
        address = request.POST.get("address") or None
        if username or address:
            services.unlock(request.user, username=username, address=address, ip=client_ip(request))
            messages.success(request, _("已解除锁定：%(what)s。") % {"what": username or address})
        return redirect("accounts:locked")
    locked_from = lockout.account_locks()
    users = {u.username: u for u in User.objects.filter(username__in=locked_from).select_related("enterprise")}
    rows = [(name, users.get(name), locked_from[name]) for name in sorted(locked_from)]
    return render(request, "accounts/locked.html", {"rows": rows, "addresses": sorted(lockout.locked_addresses())})
