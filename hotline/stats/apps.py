from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "hotline.stats"
    label = "stats"
    verbose_name = "Figures"

    def ready(self) -> None:
        from hotline.portals.pages import PortalLink, register_link

        # The figures follow what the lower layers announce, in their transactions (they never
        # call up): reports attached, results changed, content removed.
        from hotline.stats import receivers  # noqa: F401

        # The public figures page, in every portal's footer.
        register_link(PortalLink("figures", "stats_public:figures", _("Figures"), "footer", 55))
