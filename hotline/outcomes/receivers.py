"""What outcomes does when a lower layer announces something (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from hotline.core.effects import enqueue_after_commit
from hotline.takedown.signals import case_captured


@receiver(case_captured)
def act_on_captured_images(sender: Any, *, case_id: int, capture_id: int, **kwargs: Any) -> None:
    """Decide what the captured images mean (known imagery, or a confirmed case's images for
    the hash list) in a task enqueued with the capture's transaction."""
    from hotline.outcomes.tasks import act_on_capture

    enqueue_after_commit(act_on_capture, case_id, capture_id)
