"""Writing to the audit log. Every other app's actions call record_event in their transaction."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from hotline.audit.chain import entry_mac
from hotline.audit.models import AuditEvent

SYSTEM = "system"
PUBLIC = "public"


def staff_actor(user: models.Model) -> str:
    return f"staff:{user.pk}"


def member_actor(member: models.Model) -> str:
    return f"member:{member.pk}"


def audited_action[**P, R](action: Callable[P, R]) -> Callable[P, R]:
    """Makes `action` one transaction: the change and its audit events commit together or not
    at all.

    Every action in the apps' `actions.py` wears this instead of `transaction.atomic`. It takes
    no lock of its own: events are appended freely and sealed into the chain afterwards by the
    sequencer (hotline.audit.sequencer), so actions on unrelated things never wait for each
    other. Side effects leave through hotline.core.effects, after the commit.
    """

    @wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic():
            return action(*args, **kwargs)

    return run


def record_event(
    *,
    actor: str,
    action: str,
    target: models.Model | None = None,
    portal: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Must run inside the caller's transaction, so the event exists exactly when the change it
    describes does. Takes no lock: the event carries the MAC of its contents from the start,
    and the sequencer gives it its place in the chain once it has committed.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must be called inside the action's transaction")
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor": actor,
        "action": action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "portal": portal,
        "data": data or {},
    }
    return AuditEvent.objects.create(entry_mac=entry_mac(**fields), **fields)
