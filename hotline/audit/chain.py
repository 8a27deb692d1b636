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
from django.db.models import Max

from hotline.audit.models import GENESIS_HASH, AuditEvent, ChainHead


def entry_mac(
    *,
    occurred_at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    portal: str,
    data: dict[str, Any],
) -> str:
    """HMAC-SHA256, under the audit key, of a canonical JSON form of every field of an event
    that means something. Written with the event, so an edit shows before it is even sealed;
    the key is not in the database, so a forger with only database access cannot compute the
    MAC of an event they changed."""
    canonical = json.dumps(
        {
            "occurred_at": occurred_at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "portal": portal,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return _mac(b"hotline.audit-entry:" + canonical.encode("utf-8"))


def link_hash(*, seq: int, prev_hash: str, entry_mac: str) -> str:
    """The chain link the sequencer writes: binds the event's place (seq), the event before it
    and the event's contents (through its MAC) under the audit key."""
    return _mac(f"hotline.audit-link:{seq}:{prev_hash}:{entry_mac}".encode("ascii"))


def _mac(message: bytes) -> str:
    return hmac.new(audit_key(), message, hashlib.sha256).hexdigest()


def audit_key() -> bytes:
    return str(settings.HOTLINE_AUDIT_KEY).encode("utf-8")


def key_fingerprint() -> str:
    """Names the audit key without revealing it, so a changed key is told from tampering."""
    return hmac.new(audit_key(), b"hotline.audit-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def head_seal(last_seq: int, last_hash: str) -> str:
    """Seals the chain head under the audit key, so the head cannot be wound back to an earlier
    event (hiding the events after it) by anyone who can only write to the database."""
    return _mac(f"hotline.audit-head:{last_seq}:{last_hash}".encode("ascii"))


def head_is_sealed(head: ChainHead) -> bool:
    if head.last_seq == 0 and head.last_hash == GENESIS_HASH and not head.seal:
        return True  # the empty chain, as the migration creates it
    return hmac.compare_digest(head.seal, head_seal(head.last_seq, head.last_hash))


def entry_mac_of(event: AuditEvent) -> str:
    """What the event's entry MAC should be, from what is stored now."""
    return entry_mac(
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        portal=event.portal,
        data=event.data,
    )


def link_hash_of(event: AuditEvent) -> str:
    """What a sealed event's hash should be, from what is stored now (contents included)."""
    assert event.seq is not None
    return link_hash(seq=event.seq, prev_hash=event.prev_hash, entry_mac=entry_mac_of(event))


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    problem: ChainProblem | None
    # The hash of the last event verified: logged by each run, it anchors the chain outside the
    # database, so a later run's head can be compared with it.
    last_hash: str = GENESIS_HASH
    # Events committed but not sealed yet: the sequencer's backlog when the walk ended.
    unsealed: int = 0

    @property
    def intact(self) -> bool:
        return self.problem is None


def _broken(checked: int, seq: int, message: str) -> ChainReport:
    return ChainReport(checked, ChainProblem(seq, message))


_HEAD_ALTERED = (
    "the chain head was altered: it no longer matches its seal, so events after it may have "
    "been deleted"
)


def _read_head() -> ChainHead | None:
    return ChainHead.objects.filter(pk=1).first()


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
        last = batch[-1].seq or 0  # sealed events only: never None here


def verify_chain() -> ChainReport:
    """Walk the chain from the first event; report the first event that does not hold.

    The head is read first and the walk stops at the event it names, so events appended while
    a long verification runs are left for the next one instead of raising a false alarm. The
    head is sealed too, and read again at the end: an event beyond where the head says the
    chain ends means the head was wound back to hide it.
    """
    head = _read_head()
    if head is None:
        if AuditEvent.objects.exists():
            return _broken(0, 1, "the chain head is missing: it was deleted")
        return ChainReport(0, None)
    if head.key_fingerprint and head.key_fingerprint != key_fingerprint():
        return _broken(
            0,
            1,
            "the chain was sealed with a different audit key: is HOTLINE_AUDIT_KEY (or "
            "HOTLINE_SECRET_KEY, which it defaults to) the one this database was written with? "
            "(If it is, the chain head was altered.)",
        )
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in _events(up_to=head.last_seq):
        if event.seq != expected_seq:
            return _broken(
                checked,
                expected_seq,
                f"event #{expected_seq} is missing (the next one present is #{event.seq}): "
                "it was deleted",
            )
        if event.prev_hash != prev_hash:
            return _broken(
                checked,
                event.seq,
                f"event #{event.seq} ({event.action}) does not follow event "
                f"#{event.seq - 1}: the link between them was altered",
            )
        if not hmac.compare_digest(link_hash_of(event), event.hash or ""):
            return _broken(
                checked,
                event.seq,
                f"event #{event.seq} ({event.action}) was changed after it was written: "
                "its contents no longer match its hash",
            )
        prev_hash = event.hash or ""
        expected_seq += 1
        checked += 1

    if head.last_seq != checked or head.last_hash != prev_hash:
        missing = max(head.last_seq - checked, 0) or "event(s)"
        return _broken(
            checked,
            checked + 1,
            f"the chain ends at event #{checked} but {head.last_seq} events were written: "
            f"the newest {missing} were deleted or replaced",
        )
    if not head_is_sealed(head):
        return _broken(checked, checked + 1, _HEAD_ALTERED)
    return _nothing_beyond_the_head(checked, head, prev_hash)


def _nothing_beyond_the_head(checked: int, first_read: ChainHead, last_hash: str) -> ChainReport:
    # The newest sealed event is read before the head: the sequencer commits its seals and the
    # head together, so a head read afterwards always reaches at least that far unless it was
    # wound back.
    newest = AuditEvent.objects.aggregate(newest=Max("seq"))["newest"] or 0
    head = _read_head()
    if head is None:
        return _broken(checked, checked + 1, "the chain head is missing: it was deleted")
    if not head_is_sealed(head):
        return _broken(checked, checked + 1, _HEAD_ALTERED)
    if head.last_seq < first_read.last_seq:
        return _broken(
            checked,
            head.last_seq + 1,
            f"the chain head went back from event #{first_read.last_seq} to "
            f"#{head.last_seq} while it was verified: it was wound back",
        )
    if newest > head.last_seq:
        return _broken(
            checked,
            head.last_seq + 1,
            f"events up to #{newest} exist but the chain head ends at #{head.last_seq}: "
            "it was wound back to hide the newer ones",
        )
    return _unsealed_events_hold(checked, last_hash)


def _unsealed_events_hold(checked: int, last_hash: str) -> ChainReport:
    # Events waiting for the sequencer carry their MAC already: an edit shows before sealing.
    unsealed = 0
    for event in AuditEvent.objects.filter(seq__isnull=True).order_by("id").iterator(2000):
        if not hmac.compare_digest(entry_mac_of(event), event.entry_mac):
            return _broken(
                checked,
                checked + 1,
                f"an event waiting to be sealed ({event.action}, row {event.pk}) was changed "
                "after it was written: its contents no longer match its MAC",
            )
        unsealed += 1
    return ChainReport(checked, None, last_hash, unsealed)
