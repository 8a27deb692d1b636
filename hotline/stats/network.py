"""The network view: every portal side by side, as administrators and funders compare them
(launch date, funders, languages, reports, confirmed, median removal time), since launch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from hotline.portals.models import PartnerRole, Partnership, Portal
from hotline.stats.dashboard import duration_text
from hotline.stats.figures import Figures, launch_day, since_launch


@dataclass(frozen=True)
class PortalLine:
    portal: Portal
    launched: date | None
    funders: list[str]
    figures: Figures


def funders(language: str) -> list[tuple[str, str]]:
    """Every partner that funds a portal, as (id, name in `language`), by name."""
    seen = {
        p.partner_id: p.partner.name_in(language)
        for p in Partnership.objects.filter(role=PartnerRole.FUNDER).select_related("partner")
    }
    return sorted(((str(pk), name) for pk, name in seen.items()), key=lambda item: item[1])


def network(*, language: str, funder_id: int | None = None) -> list[PortalLine]:
    """Every portal (funded by `funder_id`, if given), by code, with its figures since launch."""
    portals = Portal.objects.order_by("code").prefetch_related("partnerships__partner")
    if funder_id is not None:
        portals = portals.filter(
            partnerships__role=PartnerRole.FUNDER, partnerships__partner_id=funder_id
        ).distinct()
    return [
        PortalLine(
            portal=portal,
            launched=launch_day(portal) if portal.launched_at else None,
            funders=[
                p.partner.name_in(language)
                for p in portal.partnerships.all()
                if p.role == PartnerRole.FUNDER
            ],
            figures=since_launch(portal),
        )
        for portal in portals
    ]


def table(lines: list[PortalLine], language: str) -> tuple[list[str], list[list[str]]]:
    """The network view as a table (its CSV export)."""
    header = [
        _("Portal"),
        _("Launched"),
        _("Funded by"),
        _("Languages"),
        _("Reports received"),
        _("Confirmed"),
        _("Median time from confirmation to removal"),
    ]
    rows = [
        [
            line.portal.name_in(language),
            line.launched.isoformat() if line.launched else "",
            "; ".join(line.funders),
            " ".join(line.portal.languages),
            str(line.figures.reports),
            str(line.figures.confirmed),
            duration_text(line.figures.time_to_removal.median, language),
        ]
        for line in lines
    ]
    return header, rows
