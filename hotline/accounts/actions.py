"""State changes of staff accounts. Each runs in one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Iterable

from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts.models import PortalRole, Role, StaffUser
from hotline.audit.actions import SYSTEM, audited_action, record_event, staff_actor


@audited_action
def create_staff_user(
    *,
    username: str,
    password: str,
    email: str = "",
    is_demo: bool = False,
    actor: str = SYSTEM,
) -> StaffUser:
    """Create a staff account (no roles yet). Audits `accounts.staff_created`."""
    user = StaffUser.objects.create_user(
        username=username, password=password, email=email, is_staff=False, is_demo=is_demo
    )
    record_event(
        actor=actor,
        action="accounts.staff_created",
        target=user,
        data={"username": username, "demo": is_demo},
    )
    return user


@audited_action
def grant_portal_roles(
    *, user: StaffUser, portal_codes: Iterable[str], role: Role, actor: str = SYSTEM
) -> list[PortalRole]:
    """Give `user` a role on each portal. Audits `accounts.role_granted` per portal."""
    from django.apps import apps

    portal_model = apps.get_model("portals", "Portal")  # same layer: looked up, not imported
    granted = []
    for portal in portal_model.objects.filter(code__in=list(portal_codes)):
        grant, created = PortalRole.objects.get_or_create(user=user, portal=portal, role=role)
        if created:
            record_event(
                actor=actor,
                action="accounts.role_granted",
                target=user,
                portal=portal.code,
                data={"role": role.value},
            )
        granted.append(grant)
    return granted


@audited_action
def add_totp_device(
    *, user: StaffUser, name: str = "authenticator", actor: str = SYSTEM
) -> TOTPDevice:
    """Enrol a TOTP authenticator for `user`. Audits `accounts.mfa_enrolled` (never the key)."""
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    record_event(actor=actor, action="accounts.mfa_enrolled", target=user, data={"device": name})
    return device


@audited_action
def reset_mfa(*, user: StaffUser, actor: str = SYSTEM) -> TOTPDevice:
    """Replace every authenticator `user` has with one new TOTP device.

    For a lost phone, or a first enrolment. The old devices stop working at once. Audits
    `accounts.mfa_reset` with how many devices were removed, then `accounts.mfa_enrolled`.
    """
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    record_event(actor=actor, action="accounts.mfa_reset", target=user, data={"removed": removed})
    return add_totp_device(user=user, actor=actor)


@audited_action
def record_sign_in(*, user: StaffUser) -> None:
    """Audit a successful password + TOTP sign-in (`accounts.signed_in`)."""
    record_event(actor=staff_actor(user), action="accounts.signed_in", target=user)


@audited_action
def unlock_sign_in(*, user: StaffUser, actor: str = SYSTEM) -> None:
    """Lift a sign-in lock now: refusals before this no longer count towards one.

    For the person locked out by someone guessing at their account. Audits
    `accounts.sign_in_unlocked`.
    """
    record_event(actor=actor, action="accounts.sign_in_unlocked", target=user)


@audited_action
def record_failed_sign_in(*, username: str, reason: str) -> None:
    """Audit a refused sign-in (`accounts.sign_in_refused`) against the account it named.

    Only an existing account's name is recorded: people type passwords into the username
    field, and an unknown name is recorded as "<unknown>". No address is recorded.
    """
    user = StaffUser.objects.filter(username=username).first()
    record_event(
        actor=SYSTEM,
        action="accounts.sign_in_refused",
        target=user,
        data={"username": user.username if user else "<unknown>", "reason": reason},
    )
