from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "singlewindow.subsidies"
    verbose_name = _("保费补贴")
