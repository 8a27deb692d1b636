"""Background work: queued tasks run in `hotline worker`; periodic jobs are enqueued once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from hotline.audit.models import GENESIS_HASH
from hotline.audit.tasks import verify_audit_chain
from hotline.core.models import PeriodicJobRun
from hotline.core.periodic import PERIODIC_JOBS, PeriodicJob
from hotline.core.scheduler import enqueue_due_jobs


@pytest.fixture
def database_tasks(settings: object) -> None:
    settings.TASKS = {  # type: ignore[attr-defined]
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_queued_task_to_success(database_tasks: None) -> None:
    result = verify_audit_chain.enqueue()
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == {
        "intact": True,
        "checked": 0,
        "problem": "",
        "last_hash": GENESIS_HASH,
    }


@pytest.mark.django_db(transaction=True)
def test_worker_batch_enqueues_and_runs_due_periodic_jobs(database_tasks: None) -> None:
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    names = {job.name for job in PERIODIC_JOBS}
    assert set(PeriodicJobRun.objects.values_list("name", flat=True)) == names
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == len(names)


def test_periodic_job_is_enqueued_once_per_period(db: None, database_tasks: None) -> None:
    job = PeriodicJob("test", "hotline.audit.tasks.verify_audit_chain", timedelta(hours=1), "test")
    assert enqueue_due_jobs((job,)) == ["test"]
    assert enqueue_due_jobs((job,)) == []
    PeriodicJobRun.objects.filter(name="test").update(
        last_enqueued_at=PeriodicJobRun.objects.get(name="test").last_enqueued_at
        - timedelta(hours=2)
    )
    assert enqueue_due_jobs((job,)) == ["test"]
    assert DBTaskResult.objects.count() == 2


def test_a_job_at_times_of_day_runs_once_after_each_of_them(db: None, database_tasks: None) -> None:
    job = PeriodicJob(
        "test", "hotline.audit.tasks.verify_audit_chain", None, "test", at=(time(6), time(18))
    )

    def at(day: int, hour: int, minute: int = 0) -> datetime:  # a fake clock, UTC
        return datetime(2027, 3, day, hour, minute, tzinfo=UTC)

    assert enqueue_due_jobs((job,), now=at(1, 5)) == ["test"], "never run: due at once"
    assert enqueue_due_jobs((job,), now=at(1, 5, 59)) == []
    assert enqueue_due_jobs((job,), now=at(1, 6)) == ["test"]
    assert enqueue_due_jobs((job,), now=at(1, 12)) == []
    assert enqueue_due_jobs((job,), now=at(1, 18, 1)) == ["test"]
    assert enqueue_due_jobs((job,), now=at(1, 23, 59)) == []
    # A worker that was down over 06:00 and 18:00 runs the job once when it is back.
    assert enqueue_due_jobs((job,), now=at(2, 19)) == ["test"]
    assert enqueue_due_jobs((job,), now=at(2, 20)) == []
    assert DBTaskResult.objects.count() == 4


def test_the_url_list_is_published_at_the_configured_times() -> None:
    job = next(job for job in PERIODIC_JOBS if job.name == "urllist-publish")
    assert job.at == (time(6), time(18))  # HOTLINE_URLLIST_PUBLISH_TIMES' default
    assert job.every is None


def test_a_job_needs_a_period_or_times_of_day() -> None:
    with pytest.raises(ValueError, match="either"):
        PeriodicJob("bad", "x.y", None, "why")
    with pytest.raises(ValueError, match="either"):
        PeriodicJob("bad", "x.y", timedelta(hours=1), "why", at=(time(6),))


def test_every_periodic_job_names_a_real_task() -> None:
    from django.tasks import Task
    from django.utils.module_loading import import_string

    for job in PERIODIC_JOBS:
        assert isinstance(import_string(job.task), Task), job.name
        assert job.why


def test_expired_sessions_are_cleared(db: None) -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from hotline.core.tasks import clear_expired_sessions

    live = SessionStore()
    live["receipt"] = "TN-1"
    live.create()
    old = SessionStore()
    old["receipt"] = "TN-2"
    old.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert clear_expired_sessions.call() == {"cleared": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
