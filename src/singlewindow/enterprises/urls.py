"""/enterprises/: the bureau's customs import (数据导入), the list of eligible enterprises (符合条件企业) and
名单公示."""
from django.urls import path

from . import publication_views, views

app_name = "enterprises"
urlpatterns = [
    path("eligible/", views.eligible_list, name="eligible"),
    path("imports/", views.import_list, name="imports"),
    path("imports/template.xlsx", views.import_template, {"kind": "xlsx"}, name="import_template_xlsx"),
    path("imports/template.csv", views.import_template, {"kind": "csv"}, name="import_template_csv"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/report/", views.import_report, name="import_report"),
    # 名单公示 (publication_views.py)
    path("publications/", publication_views.publication_list, name="publications"),
    path("publications/<int:pk>/", publication_views.publication_detail, name="publication"),
    path("publications/<int:pk>/object/", publication_views.publication_object, name="publication_object"),
    path("publications/<int:pk>/objections/<int:objection_id>/answer/", publication_views.objection_answer,
         name="objection_answer"),
    path("publications/<int:pk>/confirm/", publication_views.publication_confirm, name="publication_confirm"),
    path("publications/<int:pk>/withdraw/", publication_views.publication_withdraw, name="publication_withdraw"),
]
