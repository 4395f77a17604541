from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Kokoukset")

    def ready(self) -> None:
        from meetings import signals  # noqa: F401  (login/logout and session bookkeeping)
