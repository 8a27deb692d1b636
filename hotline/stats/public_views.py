"""The public figures page of a portal: counts per month since launch, small ones hidden."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from hotline.portals.models import Portal
from hotline.portals.pages import portal_page
from hotline.stats.public import launch_date_text, public_figures


@require_safe
@portal_page
def figures(request: HttpRequest, portal: Portal, language: str) -> HttpResponse:
    """`/<portal>/<lang>/figures/`: what `stats.public` lets the public see (no cookie, no
    script, nothing from another site)."""
    page = public_figures(
        portal=portal,
        language=language,
        threshold=settings.HOTLINE_PUBLIC_FIGURES_THRESHOLD,
        today=datetime.now(UTC).date(),
    )
    launched = launch_date_text(page.launched, language) if page.launched else ""
    return render(request, "stats/public_figures.html", {"page": page, "launched": launched})
