"""Launching and changing portals. Each action is one transaction with its audit events."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from hotline.audit.actions import SYSTEM, audited_action, record_event
from hotline.portals.logos import CheckedLogo
from hotline.portals.models import (
    HelpResource,
    Partner,
    Partnership,
    Portal,
    PortalAsset,
    PortalHost,
    PortalStatus,
)
from hotline.portals.spec import HelpSpec, PortalSpec


class PortalConflict(ValueError):
    """The launch would clash with another portal (e.g. a host name it already uses)."""


@dataclass
class LaunchResult:
    portal: Portal
    created: bool
    # What changed, one line each, in words an administrator reads ("status: draft → live").
    changes: list[str] = field(default_factory=list)


def store_logo(logo: CheckedLogo | None) -> PortalAsset | None:
    """The stored asset for a checked logo (shared by content: the same file is kept once)."""
    if logo is None:
        return None
    asset, _ = PortalAsset.objects.get_or_create(
        sha256=logo.sha256,
        defaults={"data": logo.png, "width": logo.width, "height": logo.height},
    )
    return asset


def _launch_time(launched: datetime.date | None) -> datetime.datetime:
    if launched is None:
        return timezone.now()
    return datetime.datetime.combine(launched, datetime.time(), tzinfo=datetime.UTC)


def _help_rows(resources: list[HelpSpec]) -> list[tuple[Any, ...]]:
    return [(h.kind, h.name, h.names, h.phone, h.website, h.languages) for h in resources]


@audited_action
def launch_portal(spec: PortalSpec, *, actor: str = SYSTEM, dry_run: bool = False) -> LaunchResult:
    """Create the portal a launch file describes, or bring an existing one in line with it.

    The file is the truth: partners and help resources it no longer lists are taken off the
    portal. Idempotent: the same file twice changes and audits nothing the second time. With
    `dry_run`, everything is worked out and reported, then rolled back. Audits
    `portals.portal_launched` or `portals.portal_updated` (the changed fields),
    `portals.partnership_added` / `_changed` / `_removed`, and `portals.help_changed`.
    """
    taken = PortalHost.objects.filter(host__in=spec.hosts).exclude(portal__code=spec.code)
    if clash := taken.select_related("portal").first():
        raise PortalConflict(f"host {clash.host} already belongs to portal {clash.portal.code}")
    logo = store_logo(spec.logo)
    wanted: dict[str, Any] = {
        "country": spec.country,
        "names": spec.names,
        "taglines": spec.taglines,
        "languages": spec.languages,
        "default_language": spec.default_language,
        "status": spec.status,
        "owner": spec.owner,
        "authority": spec.authority,
        "options": spec.options,
        "logo_id": logo.pk if logo else None,
    }
    portal = Portal.objects.select_for_update().filter(code=spec.code).first()
    created = portal is None
    if portal is None:
        portal = Portal(code=spec.code, **wanted)
        changed = sorted(wanted)
    else:
        changed = sorted(k for k, v in wanted.items() if getattr(portal, k) != v)
        previous_status = portal.status
        for key in changed:
            setattr(portal, key, wanted[key])
    if spec.launched is not None and (
        portal.launched_at is None or portal.launched_at.date() != spec.launched
    ):
        portal.launched_at = _launch_time(spec.launched)
        changed.append("launched_at")
    elif spec.status == PortalStatus.LIVE and portal.launched_at is None:
        portal.launched_at = _launch_time(None)
        changed.append("launched_at")
    result = LaunchResult(portal=portal, created=created)
    if created or changed:
        portal.save()
        data: dict[str, Any] = {"changed": changed}
        if not created and "status" in changed:
            data["status"] = {"from": previous_status, "to": spec.status}
        record_event(
            actor=actor,
            action="portals.portal_launched" if created else "portals.portal_updated",
            target=portal,
            portal=portal.code,
            data=data,
        )
        result.changes += (
            [f"portal {spec.code}: created ({spec.status})"]
            if created
            else [f"{key.removesuffix('_id')}: changed" for key in changed]
        )
    result.changes += _apply_hosts(portal, spec.hosts, actor)
    result.changes += _apply_partners(portal, spec, actor)
    result.changes += _apply_help(portal, spec.help, actor)
    if dry_run:
        transaction.set_rollback(True)
    return result


def _apply_hosts(portal: Portal, hosts: list[str], actor: str) -> list[str]:
    current = set(portal.hosts.values_list("host", flat=True))
    added, removed = sorted(set(hosts) - current), sorted(current - set(hosts))
    for host in added:
        PortalHost.objects.create(portal=portal, host=host)
    portal.hosts.filter(host__in=removed).delete()
    if added or removed:
        # Which site a host name serves is a security decision: it goes in the log.
        record_event(
            actor=actor,
            action="portals.hosts_changed",
            target=portal,
            portal=portal.code,
            data={"added": added, "removed": removed},
        )
    return [f"host added: {h}" for h in added] + [f"host removed: {h}" for h in removed]


def _apply_partners(portal: Portal, spec: PortalSpec, actor: str) -> list[str]:
    changes: list[str] = []
    for position, partner_spec in enumerate(spec.partners):
        logo = store_logo(partner_spec.logo)
        partner = Partner.objects.filter(name=partner_spec.name).first()
        # One partner serves many portals, each file naming it in its own languages: a file
        # adds and corrects translations, website and logo, and never wipes another's.
        details = {
            "kind": partner_spec.kind,
            "names": {**(partner.names if partner else {}), **partner_spec.names},
            "website": partner_spec.website or (partner.website if partner else ""),
            "logo_id": logo.pk if logo else (partner.logo_id if partner else None),
        }
        if partner is None:
            partner = Partner.objects.create(name=partner_spec.name, **details)
        stale = [k for k, v in details.items() if getattr(partner, k) != v]
        if stale:
            before = {k: getattr(partner, k) for k in stale}
            for key in stale:
                setattr(partner, key, details[key])
            partner.save(update_fields=stale)
            # Partner links and names are shown on public pages: before and after are kept.
            record_event(
                actor=actor,
                action="portals.partner_changed",
                target=partner,
                portal=portal.code,
                data={"before": before, "after": {k: details[k] for k in stale}},
            )
            changes.append(f"partner {partner.name}: {', '.join(stale)} changed")
        link = Partnership.objects.filter(portal=portal, partner=partner).first()
        if link is None:
            link = Partnership.objects.create(
                portal=portal, partner=partner, role=partner_spec.role, position=position
            )
            action, what = "portals.partnership_added", "partner added"
        elif (link.role, link.position) != (partner_spec.role, position):
            link.role, link.position = partner_spec.role, position
            link.save(update_fields=["role", "position"])
            action, what = "portals.partnership_changed", "partner changed"
        else:
            continue
        record_event(
            actor=actor,
            action=action,
            target=link,
            portal=portal.code,
            data={"partner": partner.name, "role": partner_spec.role, "position": position},
        )
        changes.append(f"{what}: {partner.name} ({partner_spec.role})")
    names = [p.name for p in spec.partners]
    for link in portal.partnerships.select_related("partner").exclude(partner__name__in=names):
        record_event(
            actor=actor,
            action="portals.partnership_removed",
            target=link,
            portal=portal.code,
            data={"partner": link.partner.name, "role": link.role},
        )
        changes.append(f"partner removed: {link.partner.name}")
        link.delete()
    return changes


def _apply_help(portal: Portal, resources: list[HelpSpec], actor: str) -> list[str]:
    current = list(
        portal.help_resources.values_list("kind", "name", "names", "phone", "website", "languages")
    )
    if [tuple(row) for row in current] == _help_rows(resources):
        return []
    portal.help_resources.all().delete()
    HelpResource.objects.bulk_create(
        HelpResource(
            portal=portal,
            position=position,
            kind=h.kind,
            name=h.name,
            names=h.names,
            phone=h.phone,
            website=h.website,
            languages=h.languages,
        )
        for position, h in enumerate(resources)
    )
    record_event(
        actor=actor,
        action="portals.help_changed",
        target=portal,
        portal=portal.code,
        data={"resources": len(resources)},
    )
    return [f"help resources: {len(current)} → {len(resources)}"]


@audited_action
def set_portal_status(*, portal: Portal, status: PortalStatus, actor: str) -> Portal:
    """Take a portal live, back to draft, or suspend it. Audits `portals.status_changed`."""
    portal = Portal.objects.select_for_update().get(pk=portal.pk)
    if portal.status == status:
        return portal
    previous = portal.status
    portal.status = status
    if status == PortalStatus.LIVE and portal.launched_at is None:
        portal.launched_at = timezone.now()
    portal.save(update_fields=["status", "launched_at"])
    record_event(
        actor=actor,
        action="portals.status_changed",
        target=portal,
        portal=portal.code,
        data={"from": previous, "to": status},
    )
    return portal
