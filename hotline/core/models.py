from __future__ import annotations

from django.db import models


class PeriodicJobRun(models.Model):
    """When each periodic job (core/periodic.py) was last enqueued."""

    name = models.CharField(max_length=64, unique=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.last_enqueued_at:%Y-%m-%d %H:%M}"
