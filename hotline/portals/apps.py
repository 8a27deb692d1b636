from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalsConfig(AppConfig):
    name = "hotline.portals"
    label = "portals"
    verbose_name = "Portals"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from hotline.portals.models import Portal
        from hotline.portals.pages import PortalLink, register_link
        from hotline.portals.resolver import forget_portals

        post_save.connect(forget_portals, sender=Portal, dispatch_uid="hotline.forget_portals")
        post_delete.connect(forget_portals, sender=Portal, dispatch_uid="hotline.forget_portals")

        register_link(PortalLink("home", "portals:home", _("Home"), "menu", 10))
        register_link(PortalLink("help", "portals:help", _("Get help"), "menu", 40))
        register_link(PortalLink("partners", "portals:partners", _("Partners"), "menu", 50))
        register_link(PortalLink("privacy", "portals:privacy", _("Privacy"), "footer", 60))
        register_link(
            PortalLink("accessibility", "portals:accessibility", _("Accessibility"), "footer", 70)
        )
