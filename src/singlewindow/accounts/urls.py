"""The accounts app's pages, one namespace (`accounts:`): /local/bind/ (老用户账号绑定); under /account/
the steps after 立即注册 / 忘记密码 / 忘记用户名 (their first pages are portal URLs), 账户设置, 操作员管理
and the staff's 账号解锁."""
from django.urls import path

from . import account_views, views

app_name = "accounts"
urlpatterns = [
    path("local/bind/", views.bind, name="bind"),
    path("account/", account_views.profile, name="profile"),
    path("account/password/", account_views.change_password, name="password"),
    path("account/mobile/", account_views.change_mobile, name="mobile"),
    path("account/operators/", account_views.operators, name="operators"),
    path("account/operators/add/", account_views.operator_add, name="operator_add"),
    path("account/operators/<int:pk>/<slug:action>/", account_views.operator_action, name="operator_action"),
    path("account/locked/", account_views.locked, name="locked"),
    path("account/register/verify/", account_views.register_verify, name="register_verify"),
    path("account/recover/<slug:kind>/verify/", account_views.recover_verify, name="recover_verify"),
    path("account/recover/password/reset/", account_views.recover_reset, name="recover_reset"),
    path("account/recover/username/accounts/", account_views.recover_result, name="recover_result"),
]
