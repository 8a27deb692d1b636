"""Who may open staff pages: signed in with password and TOTP, and holding a role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from hotline.accounts.models import ASSESSING_ROLES, PortalRole, StaffUser
from hotline.audit.models import AuditEvent

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


# After this many refused sign-ins in the window, the account refuses every attempt (the
# password is still hashed, so the answer takes as long, but a right one is refused too, so
# guessing goes no further) until the window has passed or `hotline staff unlock` lifts it.
SIGN_IN_ATTEMPTS = 10
SIGN_IN_WINDOW = timedelta(minutes=15)


def sign_in_locked(username: str) -> bool:
    """Whether the account named `username` has had too many refused sign-ins lately.

    Counted since the latest of: the start of the window, the last successful sign-in, the
    last unlock. Attempts refused because the account was already locked do not count, so
    the owner retrying does not keep their own account locked.
    """
    user = StaffUser.objects.filter(username=username).first()
    if user is None:
        return False
    about_user = AuditEvent.objects.filter(
        target_type=StaffUser._meta.label_lower, target_id=str(user.pk)
    )
    starts = [timezone.now() - SIGN_IN_WINDOW]
    if user.last_login:
        starts.append(user.last_login)
    unlocked = (
        about_user.filter(action="accounts.sign_in_unlocked")
        .order_by("-seq")
        .values_list("occurred_at", flat=True)
        .first()
    )
    if unlocked:
        starts.append(unlocked)
    refused = about_user.filter(
        action="accounts.sign_in_refused", occurred_at__gt=max(starts)
    ).exclude(data__reason="locked")
    return refused.count() >= SIGN_IN_ATTEMPTS
