"""How an audit event is hashed, and how the whole chain is checked."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from hotline.audit.models import GENESIS_HASH, AuditEvent, ChainHead


def event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    portal: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    """HMAC-SHA256, under the audit key, of a canonical JSON form of every field that means
    something. The key is not in the database, so a forger with only database access cannot
    compute the hash of an event they changed."""
    canonical = json.dumps(
        {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "portal": portal,
            "data": data,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(audit_key(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def audit_key() -> bytes:
    return str(settings.HOTLINE_AUDIT_KEY).encode("utf-8")


def key_fingerprint() -> str:
    """Names the audit key without revealing it, so a changed key is told from tampering."""
    return hmac.new(audit_key(), b"hotline.audit-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def stored_hash_of(event: AuditEvent) -> str:
    return event_hash(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        portal=event.portal,
        data=event.data,
        prev_hash=event.prev_hash,
    )


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _events(*, up_to: int, batch_size: int = 2000) -> Iterator[AuditEvent]:
    # Keyset pagination keeps memory flat on a long chain, on SQLite and PostgreSQL alike.
    last = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(seq__gt=last, seq__lte=up_to).order_by("seq")[:batch_size]
        )
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def verify_chain() -> ChainReport:
    """Walk the chain from the first event; report the first event that does not hold.

    The head is read first and the walk stops at the event it names, so events appended while
    a long verification runs are left for the next one instead of raising a false alarm.
    """
    head = ChainHead.objects.filter(pk=1).first()
    last_seq = head.last_seq if head else 0
    last_hash = head.last_hash if head else GENESIS_HASH
    if head is not None and head.key_fingerprint and head.key_fingerprint != key_fingerprint():
        return ChainReport(
            0,
            ChainProblem(
                1,
                "the chain was sealed with a different audit key: is HOTLINE_AUDIT_KEY (or "
                "HOTLINE_SECRET_KEY, which it defaults to) the one this database was written with?",
            ),
        )
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in _events(up_to=last_seq):
        if event.seq != expected_seq:
            return ChainReport(
                checked,
                ChainProblem(
                    expected_seq,
                    f"event #{expected_seq} is missing (the next one present is #{event.seq}): "
                    "it was deleted",
                ),
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked,
                ChainProblem(
                    event.seq,
                    f"event #{event.seq} ({event.action}) does not follow event "
                    f"#{event.seq - 1}: the link between them was altered",
                ),
            )
        if not hmac.compare_digest(stored_hash_of(event), event.hash):
            return ChainReport(
                checked,
                ChainProblem(
                    event.seq,
                    f"event #{event.seq} ({event.action}) was changed after it was written: "
                    "its contents no longer match its hash",
                ),
            )
        prev_hash = event.hash
        expected_seq += 1
        checked += 1

    if last_seq != checked or last_hash != prev_hash:
        return ChainReport(
            checked,
            ChainProblem(
                checked + 1,
                f"the chain ends at event #{checked} but {last_seq} events were written: "
                f"the newest {max(last_seq - checked, 0) or 'event(s)'} were deleted or replaced",
            ),
        )
    return ChainReport(checked, None)
