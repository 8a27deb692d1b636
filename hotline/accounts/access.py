"""Who may open staff pages: signed in with password and TOTP, and holding a role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from hotline.accounts.models import ASSESSING_ROLES, PortalRole, Role, StaffUser

View = Callable[..., HttpResponse]


def staff_user(request: HttpRequest) -> StaffUser | None:
    """The signed-in staff user if they passed MFA in this session (and may still sign in)."""
    user = request.user
    if not isinstance(user, StaffUser) or not user.is_active:
        return None
    if not getattr(user, "is_verified", lambda: False)():
        return None
    if user.is_demo and not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
        return None
    return user


def signed_in_staff(request: HttpRequest) -> StaffUser:
    """The signed-in staff user, in a view behind `verified_staff_required` (which sent
    everyone else to the sign-in page)."""
    user = staff_user(request)
    assert user is not None  # guaranteed by verified_staff_required
    return user


def verified_staff_required(view: View) -> View:
    """Send anyone without a password+TOTP session to the staff sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if staff_user(request) is None:
            if request.user.is_authenticated:
                logout(request)
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def assessable_portal_ids(user: StaffUser) -> list[int]:
    """Portals on which `user` may assess reports."""
    return list(
        PortalRole.objects.filter(user=user, role__in=ASSESSING_ROLES)
        .values_list("portal_id", flat=True)
        .distinct()
    )


def only_views_figures(user: StaffUser) -> bool:
    """Whether `user` may do nothing but view figures (a partner viewer on every portal they
    hold a role on): their pages are the figures, not the analysts' work."""
    if user.is_superuser:
        return False
    roles = set(PortalRole.objects.filter(user=user).values_list("role", flat=True))
    return bool(roles) and roles <= {Role.PARTNER_VIEWER}


def landing_url(user: StaffUser) -> str:
    """A staff member's first page: the figures for a partner, else the analysts' queue."""
    if only_views_figures(user):
        return resolve_url("figures:dashboard")
    return resolve_url(settings.LOGIN_REDIRECT_URL)
