"""How many reports a connection, and a whole portal, may send: the limits and their wording."""

from __future__ import annotations

import math

from django.http import HttpRequest
from django.utils.translation import ngettext

from hotline.core.ratelimit import Limit, client_key, hit
from hotline.portals.models import Portal

HOUR = 3600


def report_wait(request: HttpRequest, portal: Portal, *, verified: bool) -> tuple[int, str]:
    """(seconds to wait, what to tell the person), or (0, "") when the report may go ahead.

    Every attempt counts, sent or refused: a flood of junk is limited like real reports. The
    connection's limit counts every report; the portal's counts and holds back only reports
    without a verified proof of work (`intake.pow`), so a flood of junk, which fills it, cannot
    lock out the people whose browsers did the work.
    """
    per_client = Limit("report-client", portal.option("reports_per_client_per_hour"), HOUR)
    per_portal = Limit("report-portal", portal.option("reports_per_portal_per_hour"), HOUR)
    if wait := hit(per_client, f"{portal.code}:{client_key(request)}"):
        minutes = math.ceil(wait / 60)
        return wait, ngettext(
            "You have sent many reports in a short time. Please try again in %(minutes)s minute.",
            "You have sent many reports in a short time. Please try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes}
    if not verified and (wait := hit(per_portal, portal.code)):
        minutes = math.ceil(wait / 60)
        return wait, ngettext(
            "This portal is receiving very many reports right now. "
            "Please try again in %(minutes)s minute.",
            "This portal is receiving very many reports right now. "
            "Please try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes}
    return 0, ""
