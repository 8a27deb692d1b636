"""Writing to the audit log. Every other app's actions call record_event in their transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from hotline.audit.chain import entry_mac
from hotline.audit.models import AuditEvent
from hotline.core.bulk import insert_rows

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


@dataclass(frozen=True)
class NewEvent:
    """One event for `record_events`: the arguments `record_event` takes."""

    actor: str
    action: str
    target: models.Model | None = None
    portal: str = ""
    data: dict[str, Any] | None = None


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
    _require_transaction()
    event = event_row(NewEvent(actor=actor, action=action, target=target, portal=portal, data=data))
    event.save(force_insert=True)
    return event


def record_events(events: Sequence[NewEvent]) -> None:
    """Append these events to the chain, in this order, with one INSERT.

    As `record_event` for each (each its own time and entry MAC), for an action that changes
    many things at once: one statement instead of one per event.
    """
    _require_transaction()
    insert_rows([event_row(event) for event in events])


def event_row(event: NewEvent) -> AuditEvent:
    """The event as an unsaved row, with its entry MAC, as `record_event` writes it.

    For an action that sends its change and its events to the database as one statement,
    which is then their transaction (hotline.core.bulk.insert_together). Everyone else calls
    `record_event`.
    """
    target = event.target
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor": event.actor,
        "action": event.action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "portal": event.portal,
        "data": event.data or {},
    }
    return AuditEvent(entry_mac=entry_mac(**fields), **fields)


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("audit events must be recorded inside the action's transaction")
