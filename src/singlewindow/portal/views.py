from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse

from singlewindow.accounts.forms import LoginForm
from singlewindow.accounts.models import LoginMethod, Role

from . import todo

HOTLINE = "95198"


def home(request):
    """The portal's front page: the steps of the notice for a visitor, the to-do for a signed-in party."""
    return render(request, "portal/home.html", {"todos": todo.todos_for(request.user)})


class LoginView(auth_views.LoginView):
    """The standard-version login page: 卡介质 or account + password."""

    template_name = "portal/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session["login_method"] = LoginMethod.PASSWORD
        return response

    def get_default_redirect_url(self):
        role = self.request.user.role
        if role == Role.INSURER:
            return reverse("insurer:list")
        if role == Role.BUREAU:
            return reverse("bureaus:dashboard")
        if role == Role.STAFF:
            return reverse("portal:staff")
        return reverse("portal:home")


def features(request):
    """地方特色应用 → 金融服务 → 出口信用 → 小微企业在线投保."""
    return render(request, "portal/features.html")


def faq(request):
    return render(request, "portal/faq.html", {"hotline": HOTLINE})
