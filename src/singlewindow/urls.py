from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("singlewindow.portal.urls")),
    path("", include("singlewindow.accounts.urls")),  # /local/bind/ and /account/…
    path("insure/", include("singlewindow.policies.urls")),
    path("insurer/", include("singlewindow.policies.insurer_urls")),
    path("enterprises/", include("singlewindow.enterprises.urls")),
    path("notices/", include("singlewindow.notifications.urls")),
    path("eport/", include("singlewindow.eport.urls")),
    path("claims/", include("singlewindow.claims.urls")),  # 我的报损与索赔 and the insurer's 理赔审核
    path("alerts/", include("singlewindow.alerts.urls")),  # 风险预警
    path("bureau/", include("singlewindow.bureaus.urls")),  # the commerce bureau's 统计分析
    path("", include("singlewindow.documents.urls")),  # /documents/ (电子保单) and /verify/ (the public 保单查验)
    path("api/", include("singlewindow.api.urls")),  # the REST API /api/v1/
    path("reminders/", include("singlewindow.reminders.urls")),  # the bureau's 提醒
    path("subsidies/", include("singlewindow.subsidies.urls")),  # 补贴台账 and 申请拨付
]

handler400 = "singlewindow.http.bad_request"
handler403 = "singlewindow.http.permission_denied"
handler404 = "singlewindow.http.page_not_found"
handler500 = "singlewindow.http.server_error"
