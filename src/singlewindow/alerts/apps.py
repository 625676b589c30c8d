from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "singlewindow.alerts"
    verbose_name = _("风险预警")
