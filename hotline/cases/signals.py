"""What the cases app announces to the layers above it (DESIGN.md: a lower layer never calls
up; it records the fact or emits an event that the higher layer subscribes to)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that opened (or reopened) cases, with `case_ids`: the cases now
# waiting for a first look. Receivers must leave only through hotline.core.effects (a task
# enqueued with the transaction), never do slow work here: intake attaches reports with it.
cases_opened = Signal()
