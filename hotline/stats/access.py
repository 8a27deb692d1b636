"""Who sees which portal's figures: partner viewers their portals', administrators every
portal's (least privilege per portal). Figures are counts, never content, but a portal's
counts are still its partners' business, not every partner's."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from hotline.accounts.models import PortalRole, Role, StaffUser
from hotline.portals.models import Portal


def sees_every_portal(user: StaffUser) -> bool:
    """Administrators (of any portal, or superusers) see every portal's figures side by side."""
    return (
        user.is_superuser or PortalRole.objects.filter(user=user, role=Role.ADMINISTRATOR).exists()
    )


def figures_portals(user: StaffUser) -> QuerySet[Portal]:
    """The portals whose figures `user` may see, by code."""
    portals = Portal.objects.order_by("code")
    if sees_every_portal(user):
        return portals
    return portals.filter(staff_roles__user=user, staff_roles__role=Role.PARTNER_VIEWER).distinct()


def may_see_figures(user: StaffUser) -> bool:
    return figures_portals(user).exists()


def partner_contacts(portal: Portal) -> list[StaffUser]:
    """Who gets `portal`'s monthly report by e-mail: its partner viewers with an address,
    active, by id; demo accounts only where they may sign in (a local demo)."""
    contacts = (
        StaffUser.objects.filter(
            portal_roles__portal=portal, portal_roles__role=Role.PARTNER_VIEWER, is_active=True
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    if not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
        contacts = contacts.exclude(is_demo=True)
    return list(contacts)
