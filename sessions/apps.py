from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    """Our app package is `sessions`; django.contrib.sessions already owns that label."""

    name = "sessions"
    label = "halenbrengen"
    verbose_name = _("Halen/Brengen")
    default_auto_field = "django.db.models.BigAutoField"
