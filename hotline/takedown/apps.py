from django.apps import AppConfig


class TakedownConfig(AppConfig):
    name = "hotline.takedown"
    label = "takedown"
    verbose_name = "Notice and takedown"

    def ready(self) -> None:
        # Capture each new case's URL before an analyst opens it (cases announce new cases;
        # the lower layer never calls up).
        from hotline.takedown import receivers  # noqa: F401
