"""Enqueue the periodic jobs of core/periodic.py that are due."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from hotline.core.models import PeriodicJobRun
from hotline.core.periodic import PERIODIC_JOBS, PeriodicJob


def enqueue_due_jobs(
    jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS, *, now: datetime | None = None
) -> list[str]:
    """Enqueue each job that is due (its period has passed, or one of its times of day has
    come since its last run); returns the names enqueued. A job never run is due at once."""
    enqueued = []
    now = now or timezone.now()
    for job in jobs:
        with transaction.atomic():
            run, created = PeriodicJobRun.objects.select_for_update().get_or_create(
                name=job.name, defaults={"last_enqueued_at": now}
            )
            if not created and not job.is_due(run.last_enqueued_at, now):
                continue
            task: Task = import_string(job.task)
            task.enqueue()
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            enqueued.append(job.name)
    return enqueued
