"""Staff account actions: each changes one thing and audits it, without secrets."""

from __future__ import annotations

from hotline.accounts.actions import (
    add_totp_device,
    create_staff_user,
    grant_portal_roles,
    record_failed_sign_in,
)
from hotline.accounts.models import PortalRole, Role
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.conftest import PASSWORD


def test_create_staff_user_hashes_the_password_and_audits(tn: Portal) -> None:
    user = create_staff_user(username="dina", password=PASSWORD)
    assert user.password.startswith("argon2$") and user.check_password(PASSWORD)
    assert not user.is_staff and not user.is_demo
    event = AuditEvent.objects.get(action="accounts.staff_created")
    assert event.target_id == str(user.pk) and PASSWORD not in str(event.data)


def test_grant_roles_is_per_portal_and_idempotent(tn: Portal, ma: Portal) -> None:
    user = create_staff_user(username="dina", password=PASSWORD)
    grant_portal_roles(user=user, portal_codes=["tn", "ma", "zz"], role=Role.ANALYST)
    grant_portal_roles(user=user, portal_codes=["tn"], role=Role.ANALYST)
    assert sorted(PortalRole.objects.values_list("portal__code", flat=True)) == ["ma", "tn"]
    events = AuditEvent.objects.filter(action="accounts.role_granted")
    assert sorted(events.values_list("portal", flat=True)) == ["ma", "tn"]


def test_totp_enrolment_is_audited_without_the_key(tn: Portal) -> None:
    user = create_staff_user(username="dina", password=PASSWORD)
    device = add_totp_device(user=user)
    assert device.confirmed and device.user == user
    event = AuditEvent.objects.get(action="accounts.mfa_enrolled")
    assert device.key not in str(event.data)


def test_failed_sign_in_names_the_account_not_the_address(db: None) -> None:
    user = create_staff_user(username="dora", password="a long enough password 1")
    record_failed_sign_in(username="dora", reason="password", client_key="k" * 32)
    record_failed_sign_in(username="x" * 500, reason="password", client_key="k" * 32)
    known, unknown = AuditEvent.objects.filter(action="accounts.sign_in_refused").order_by("seq")
    assert known.data == {"username": "dora", "reason": "password"}
    assert known.target_id == str(user.pk)
    assert unknown.data == {"username": "<unknown>", "reason": "password"}
    assert known.actor == unknown.actor == "system"
    assert not any("k" * 32 in str(e.data) for e in (known, unknown))
