"""/account/: the steps after 立即注册 / 忘记密码 / 忘记用户名 (their first pages are portal URLs),
账户设置, 操作员管理 and the operators' 账号解锁."""
from django.urls import path

from . import account_views as views

app_name = "account"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("password/", views.change_password, name="password"),
    path("mobile/", views.change_mobile, name="mobile"),
    path("operators/", views.operators, name="operators"),
    path("operators/add/", views.operator_add, name="operator_add"),
    path("operators/<int:pk>/<slug:action>/", views.operator_action, name="operator_action"),
    path("locked/", views.locked, name="locked"),
    path("register/verify/", views.register_verify, name="register_verify"),
    path("recover/<slug:kind>/verify/", views.recover_verify, name="recover_verify"),
    path("recover/password/reset/", views.recover_reset, name="recover_reset"),
    path("recover/username/accounts/", views.recover_result, name="recover_result"),
]
