from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "singlewindow.claims"
    verbose_name = _("报损与索赔")
