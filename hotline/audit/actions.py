"""Writing to the audit log. Every other app's actions call record_event in their transaction."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from hotline.audit.chain import event_hash, head_seal, key_fingerprint
from hotline.audit.models import AuditEvent, ChainHead

SYSTEM = "system"
PUBLIC = "public"


def staff_actor(user: models.Model) -> str:
    return f"staff:{user.pk}"


def member_actor(member: models.Model) -> str:
    return f"member:{member.pk}"


def lock_chain() -> None:
    """Take the audit chain head's lock now, before the action locks any row of its own.

    Every audited action ends by appending to the chain, which locks the head. An action that
    locked a case (say) first would wait for the head while holding the case, and another that
    holds the head would wait for the case: a deadlock. Taking the head first gives every
    action one lock order. Appends are serialised on the head anyway, so this costs little
    (one more query a transaction; see docs/benchmarks.md).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_chain must be called inside the action's transaction")
    ChainHead.objects.select_for_update().get_or_create(pk=1)


_in_action: ContextVar[bool] = ContextVar("hotline_in_audited_action", default=False)


def audited_action[**P, R](action: Callable[P, R]) -> Callable[P, R]:
    """Makes `action` one transaction that takes the audit chain's lock before anything else.

    Every action in the apps' `actions.py` wears this instead of `transaction.atomic`: the
    change and its audit events commit together or not at all, and all actions lock in one
    order (see `lock_chain`), so two of them can never deadlock waiting for each other.
    """

    @wraps(action)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic():
            # An action called by another runs in a transaction that already holds the lock.
            if not _in_action.get():
                lock_chain()
            token = _in_action.set(True)
            try:
                return action(*args, **kwargs)
            finally:
                _in_action.reset(token)

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
    describes does. Locks the chain head: appends are serialised, which keeps `seq` gap-free.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must be called inside the action's transaction")
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    seq = head.last_seq + 1
    occurred_at = timezone.now()
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor": actor,
        "action": action,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "portal": portal,
        "data": data or {},
        "prev_hash": head.last_hash,
    }
    digest = event_hash(**fields)
    event = AuditEvent.objects.create(hash=digest, **fields)
    head.last_seq = seq
    head.last_hash = digest
    head.key_fingerprint = head.key_fingerprint or key_fingerprint()
    head.seal = head_seal(seq, digest)
    head.save(update_fields=["last_seq", "last_hash", "key_fingerprint", "seal"])
    return event
