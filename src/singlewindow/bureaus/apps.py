from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureausConfig(AppConfig):
    name = "singlewindow.bureaus"
    verbose_name = _("商务部门工作台")
