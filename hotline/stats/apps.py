from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "hotline.stats"
    label = "stats"
    verbose_name = "Figures"

    def ready(self) -> None:
        # The figures follow what the lower layers announce, in their transactions (they never
        # call up): reports attached, results changed, content removed.
        from hotline.stats import receivers  # noqa: F401
