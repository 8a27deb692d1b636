from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_default_scheme(sender: AppConfig, **kwargs: Any) -> None:
    # A migration creates the default scheme; a flushed database (tests, a reset demo) would
    # otherwise be left with none, and no case could be assessed.
    from hotline.assessment.schemes import ensure_default_scheme

    ensure_default_scheme(using=kwargs.get("using", "default"))


class AssessmentConfig(AppConfig):
    name = "hotline.assessment"
    label = "assessment"
    verbose_name = "Assessment"

    def ready(self) -> None:
        post_migrate.connect(_ensure_default_scheme, sender=self)
