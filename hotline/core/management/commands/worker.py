"""`hotline worker`: runs queued tasks (django-tasks-db), enqueues periodic jobs when due, and
repeats the continuous jobs of core/periodic.py (the audit log's sequencer, every second).

Several workers may run at once: the due-check locks each job's row, so a periodic job is
enqueued once per period whatever the number of workers.
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from hotline.core.periodic import CONTINUOUS_JOBS, ContinuousJob
from hotline.core.scheduler import enqueue_due_jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run background tasks and the periodic-job table (core/periodic.py)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch", action="store_true", help="run what is due and queued, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"]:
            enqueue_due_jobs()
            call_command(
                "db_worker",
                batch=True,
                reload=False,
                startup_delay=False,
                verbosity=options["verbosity"],
            )
            # After the tasks, so the events they wrote are sealed too.
            for job in CONTINUOUS_JOBS:
                import_string(job.run_once)()
            return
        stop = threading.Event()
        scheduler = threading.Thread(
            target=self._schedule, args=(stop,), daemon=True, name="periodic"
        )
        scheduler.start()
        for job in CONTINUOUS_JOBS:
            threading.Thread(
                target=self._repeat, args=(job, stop), daemon=True, name=job.name
            ).start()
        # db_worker installs its own SIGINT/SIGTERM handlers and returns after a clean stop.
        try:
            call_command("db_worker", reload=False, verbosity=options["verbosity"])
        finally:
            stop.set()

    def _repeat(self, job: ContinuousJob, stop: threading.Event) -> None:
        run_once = import_string(job.run_once)
        while not stop.is_set():
            try:
                run_once()
            except Exception:  # must outlive a database blip; the work waits for the next round
                logger.exception("%s failed; retrying", job.name)
            finally:
                close_old_connections()
            stop.wait(job.every.total_seconds())

    def _schedule(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                enqueue_due_jobs()
            except Exception:  # the scheduler must outlive a database blip; log and retry
                logger.exception("periodic scheduler failed; retrying")
            finally:
                close_old_connections()
            stop.wait(30)
