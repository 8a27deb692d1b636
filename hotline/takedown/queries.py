"""Reads of takedown state that several places share."""

from __future__ import annotations

from hotline.cases.models import Case
from hotline.takedown.models import HostingTrace


def latest_trace(case: Case) -> HostingTrace | None:
    """The most recent hosting trace of `case`, if it was traced."""
    return HostingTrace.objects.filter(case=case).order_by("-traced_at").first()
