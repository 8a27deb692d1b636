"""What takedown announces to the layers above it (a lower layer never calls up)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that recorded a capture of a case's URL, with `case_id` and
# `capture_id`: outcomes decides what the captured images mean (known imagery, or images of a
# confirmed case for the hash list). Receivers must leave only through hotline.core.effects.
case_captured = Signal()
