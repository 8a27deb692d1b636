from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "hotline.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from hotline.portals.pages import PortalLink, register_link

        register_link(PortalLink("report", "intake:report", _("Report"), "menu", 20))
        register_link(PortalLink("status", "intake:status", _("Check a report"), "menu", 30))
