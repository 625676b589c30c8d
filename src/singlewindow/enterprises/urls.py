"""/enterprises/: the bureau's customs import (数据导入) and the list of eligible enterprises (符合条件企业)."""
from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("eligible/", views.eligible_list, name="eligible"),
    path("imports/", views.import_list, name="imports"),
    path("imports/template.xlsx", views.import_template, {"kind": "xlsx"}, name="import_template_xlsx"),
    path("imports/template.csv", views.import_template, {"kind": "csv"}, name="import_template_csv"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/report/", views.import_report, name="import_report"),
]
