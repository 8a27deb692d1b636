"""Side effects leave an action through one path, hotline.core.effects, after the commit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import transaction
from django.tasks import task
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from hotline.core.effects import after_commit, enqueue_after_commit

HOTLINE = Path(__file__).resolve().parents[2] / "hotline"
# The scheduler enqueues periodic jobs in a transaction of its own, outside any action.
ALLOWED = {HOTLINE / "core" / "effects.py", HOTLINE / "core" / "scheduler.py"}


@task()
def note(text: str) -> str:
    return text


def test_with_the_database_backend_the_task_commits_with_the_action(db: None) -> None:
    def failing_action() -> None:
        with transaction.atomic():
            enqueue_after_commit(note, "rolled back")
            raise RuntimeError("the action fails")

    with pytest.raises(RuntimeError):
        failing_action()
    assert not DBTaskResult.objects.exists()
    with transaction.atomic():
        enqueue_after_commit(note, "kept")
    assert DBTaskResult.objects.get().args_kwargs["args"] == ["kept"]


def test_another_backend_is_handed_the_task_only_after_the_commit(
    db: None,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        enqueue_after_commit(note, "later")
    assert len(callbacks) == 1


def test_a_failing_effect_is_logged_and_the_change_stands(
    db: None,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        raise OSError("the mail server is down")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        after_commit(broken)
    assert "the mail server is down" in caplog.text


def test_no_other_module_enqueues_or_hooks_the_commit_itself() -> None:
    offenders = []
    for path in sorted(HOTLINE.rglob("*.py")):
        if path in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in {"on_commit", "enqueue"}:
                offenders.append(f"{path.relative_to(HOTLINE)}:{node.lineno} .{node.attr}")
    assert offenders == [], "use hotline.core.effects instead: " + ", ".join(offenders)
