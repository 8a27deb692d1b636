"""What takedown does when a lower layer announces something (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from hotline.cases.signals import cases_opened
from hotline.core.effects import enqueue_after_commit


@receiver(cases_opened)
def capture_opened_cases(sender: Any, *, case_ids: list[int], **kwargs: Any) -> None:
    """A task captures the new cases' URLs, so the capture is there before an analyst opens
    the case; it is enqueued with the transaction that opened them (one task per batch)."""
    if not settings.HOTLINE_CAPTURE_NEW_CASES:
        return
    from hotline.takedown.tasks import capture_cases

    enqueue_after_commit(capture_cases, list(case_ids))
