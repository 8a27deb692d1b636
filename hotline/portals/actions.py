"""Launching and updating portals. Each action is one transaction with its audit events."""

from __future__ import annotations

from django.utils import timezone

from hotline.audit.actions import SYSTEM, audited_action, record_event
from hotline.portals.models import Partner, Partnership, Portal, PortalStatus
from hotline.portals.spec import PortalSpec


@audited_action
def launch_portal(spec: PortalSpec, *, actor: str = SYSTEM) -> tuple[Portal, bool]:
    """Create the portal a launch file describes, or bring an existing one in line with it.

    Idempotent: running it twice with the same file changes nothing and audits nothing the
    second time. Audits `portals.portal_launched` or `portals.portal_updated` (with the changed
    fields) and `portals.partnership_added` per new partner.
    """
    wanted = {
        "country": spec.country,
        "names": spec.names,
        "languages": spec.languages,
        "default_language": spec.default_language,
        "status": spec.status,
    }
    portal = Portal.objects.select_for_update().filter(code=spec.code).first()
    created = portal is None
    if portal is None:
        portal = Portal(code=spec.code, **wanted)
        changed = sorted(wanted)
    else:
        changed = sorted(k for k, v in wanted.items() if getattr(portal, k) != v)
        for key in changed:
            setattr(portal, key, wanted[key])
    if spec.status == PortalStatus.LIVE and portal.launched_at is None:
        portal.launched_at = timezone.now()
    if created or changed:
        portal.save()
        record_event(
            actor=actor,
            action="portals.portal_launched" if created else "portals.portal_updated",
            target=portal,
            portal=portal.code,
            data={"changed": changed},
        )

    for position, partner_spec in enumerate(spec.partners):
        partner, _ = Partner.objects.get_or_create(
            name=partner_spec.name,
            defaults={"kind": partner_spec.kind, "names": partner_spec.names},
        )
        if partner.kind != partner_spec.kind or partner.names != partner_spec.names:
            partner.kind = partner_spec.kind
            partner.names = partner_spec.names
            partner.save(update_fields=["kind", "names"])
        link, link_created = Partnership.objects.get_or_create(
            portal=portal,
            partner=partner,
            defaults={"role": partner_spec.role, "position": position},
        )
        if link_created:
            record_event(
                actor=actor,
                action="portals.partnership_added",
                target=link,
                portal=portal.code,
                data={"partner": partner.name, "role": partner_spec.role},
            )
        elif (link.role, link.position) != (partner_spec.role, position):
            link.role, link.position = partner_spec.role, position
            link.save(update_fields=["role", "position"])
    return portal, created
