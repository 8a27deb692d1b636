"""The public figures page of a portal: counts per month since launch, small ones hidden."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from hotline.portals.models import Portal, PortalStatus
from hotline.portals.pages import portal_page
from hotline.stats.public import launch_date_text, public_figures


def seconds_to_midnight(now: datetime) -> int:
    """Seconds from `now` to the next UTC midnight (1 to 86,400): how long the page holds."""
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
    return min(max(math.ceil((midnight - now).total_seconds()), 1), 86_400)


@require_safe
@portal_page
def figures(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    """`/<portal>/<lang>/figures/`: what `stats.public` lets the public see (no cookie, no
    script, nothing from another site).

    Only months that have ended are shown, so a report filed today changes nothing on it: it
    changes when a month ends (at a UTC midnight) or when a result in a past month is
    corrected. Caches and browsers may keep it until the next UTC midnight, so that reloading
    it all day is pointless. A draft's preview is for its staff only: never kept."""
    now = datetime.now(UTC)
    page = public_figures(
        portal=portal,
        language=language,
        threshold=settings.HOTLINE_PUBLIC_FIGURES_THRESHOLD,
        today=now.date(),
    )
    launched = launch_date_text(page.launched, language) if page.launched else ""
    response = render(request, "stats/public_figures.html", {"page": page, "launched": launched})
    if portal.status == PortalStatus.DRAFT:
        patch_cache_control(response, private=True, no_store=True)
    else:
        patch_cache_control(response, public=True, max_age=seconds_to_midnight(now))
    return response
