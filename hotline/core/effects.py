"""The one path by which an action's side effects leave it: after its transaction commits.

An action must never announce what did not commit (a task for a report that was rolled back, an
e-mail about a change that failed), and must not lose what did (a task forgotten because the
process died between the commit and the enqueue). Both are decided here, once, for every app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.tasks import Task, task_backends
from django_tasks_db import DatabaseBackend


def enqueue_after_commit(task: Task[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run `task` once the current transaction has committed, and only if it does.

    With the database task backend (the default), the task's row is written in the same
    transaction: it commits with the action or not at all, and survives a crash right after
    the commit. Any other backend is handed the task from an on-commit hook.
    """
    backend = task_backends[task.backend]
    if isinstance(backend, DatabaseBackend) and not transaction.get_autocommit():
        task.enqueue(*args, **kwargs)
    else:
        after_commit(partial(task.enqueue, *args, **kwargs))


def after_commit(effect: Callable[[], object]) -> None:
    """Run `effect` after the current transaction commits (at once outside one).

    A failing effect is logged, not raised: the change it follows has committed and stands.
    """
    transaction.on_commit(effect, robust=True)
