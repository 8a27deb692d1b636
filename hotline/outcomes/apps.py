from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "hotline.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        # Captures of a case's URL are announced by takedown (the lower layer never calls up).
        from hotline.outcomes import receivers  # noqa: F401
