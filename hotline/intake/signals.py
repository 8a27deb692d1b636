"""What intake announces to the layers above it (a lower layer never calls up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal


@dataclass(frozen=True)
class AttachedItem:
    """One report item that reached its case: the report's portal and filing time, whether it
    is the report's first item (a report counts once), and whether it was known content."""

    portal_id: int
    received_at: datetime
    first: bool
    known: bool


# Sent inside the transaction that attached report items to their cases, with `items`: a list
# of AttachedItem (no URL, no reference). Receivers apply it in the same transaction and must
# be cheap: the worker attaches every report this way.
reports_attached = Signal()
