from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "singlewindow.portal"
    verbose_name = _("门户")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
