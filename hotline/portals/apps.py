from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalsConfig(AppConfig):
    name = "hotline.portals"
    label = "portals"
    verbose_name = "Portals"

    def ready(self) -> None:
        from hotline.portals.pages import PortalLink, register_link

        register_link(PortalLink("home", "portals:home", _("Home"), "menu", 10))
        register_link(PortalLink("help", "portals:help", _("Get help"), "menu", 40))
        register_link(PortalLink("partners", "portals:partners", _("Partners"), "menu", 50))
        register_link(PortalLink("privacy", "portals:privacy", _("Privacy"), "footer", 60))
        register_link(
            PortalLink("accessibility", "portals:accessibility", _("Accessibility"), "footer", 70)
        )
