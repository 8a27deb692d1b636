"""Which case comes first in the queue, and why: the one place the formula lives.

The queue is ordered by:
1. cases with a verified report first (a proof of work, or a partner's key), so a flood of
   junk cannot bury a real report;
2. then by `queue_at`, earliest first: the time the case was opened, brought forward by its
   priority points, one point being one hour of waiting. Age in the queue therefore counts by
   itself (an old case rises past newer ones) and a case with more reasons to be urgent is
   treated as if it had waited longer. Being a stored time, the order is served by an index
   however many cases there are, which a score recomputed on every read would not be.

Points:
- each further separate report of the URL: REPORT_POINTS, up to MAX_REPORT_POINTS (many reports
  of one URL move it up, but a flood of them must not bury every other case);
- each earlier confirmed case on the same host: HOST_POINTS, up to MAX_HOST_POINTS (a host that
  has served criminal imagery before is likely to again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

POINT = timedelta(hours=1)
REPORT_POINTS = 1
MAX_REPORT_POINTS = 20
HOST_POINTS = 3
MAX_HOST_POINTS = 24
# The most points a case can have: its queue time is never further than this before it opened
# (the queue's age filters rely on it to read one range of the index).
MAX_POINTS = MAX_REPORT_POINTS + MAX_HOST_POINTS


def report_points(report_count: int) -> int:
    return min(max(report_count - 1, 0) * REPORT_POINTS, MAX_REPORT_POINTS)


def host_points(host_confirmed: int) -> int:
    return min(host_confirmed * HOST_POINTS, MAX_HOST_POINTS)


def priority_points(*, report_count: int, host_confirmed: int) -> int:
    """A case's priority points (see the module docstring)."""
    return report_points(report_count) + host_points(host_confirmed)


def queue_at(*, opened_at: datetime, report_count: int, host_confirmed: int) -> datetime:
    """The time a case queues as if it had been opened: earlier for more points."""
    points = priority_points(report_count=report_count, host_confirmed=host_confirmed)
    return opened_at - points * POINT


@dataclass(frozen=True)
class Reason:
    text: str
    points: int


def why_here(
    *, report_count: int, host_confirmed: int, verified: bool, opened_at: datetime, now: datetime
) -> list[Reason]:
    """The reasons behind a case's place in the queue, in words for the analyst."""
    reasons = []
    if verified:
        reasons.append(Reason(_("A verified report: ahead of cases with unverified ones."), 0))
    if points := report_points(report_count):
        reasons.append(
            Reason(
                ngettext(
                    "%(count)d separate report of this address.",
                    "%(count)d separate reports of this address.",
                    report_count,
                )
                % {"count": report_count},
                points,
            )
        )
    if points := host_points(host_confirmed):
        reasons.append(
            Reason(
                ngettext(
                    "The host has %(count)d earlier confirmed case.",
                    "The host has %(count)d earlier confirmed cases.",
                    host_confirmed,
                )
                % {"count": host_confirmed},
                points,
            )
        )
    hours = int((now - opened_at) / POINT)
    reasons.append(
        Reason(
            ngettext("Waiting for %(hours)d hour.", "Waiting for %(hours)d hours.", hours)
            % {"hours": hours},
            hours,
        )
    )
    return reasons
