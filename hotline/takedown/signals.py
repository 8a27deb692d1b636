"""What takedown announces to the layers above it (a lower layer never calls up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.dispatch import Signal

# Sent inside the transaction that recorded a capture of a case's URL, with `case_id` and
# `capture_id`: outcomes decides what the captured images mean (known imagery, or images of a
# confirmed case for the hash list). Receivers must leave only through hotline.core.effects.
case_captured = Signal()


@dataclass(frozen=True)
class Removal:
    """A takedown's content removed: when, and how long after the confirmation."""

    portal_id: int  # the portal of the takedown's case
    removed_at: datetime
    time_to_removal: timedelta


# Sent inside the transaction of every change that makes a takedown removed or no longer
# removed (a re-check found it gone; it came back; the case was confirmed again or its
# confirmation withdrawn), with `before` and `after`: a Removal or None. Receivers apply it in
# the same transaction and must be cheap.
removal_changed = Signal()
