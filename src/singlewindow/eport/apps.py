from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EportConfig(AppConfig):
    name = "singlewindow.eport"
    verbose_name = _("电子口岸卡")
