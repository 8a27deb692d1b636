"""The Django admin: MFA-only, audited edits, no way around the audited actions."""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts.actions import add_totp_device
from hotline.accounts.models import StaffUser
from hotline.audit.chain import verify_chain
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.conftest import PASSWORD, Analyst, sign_in


def admin_client(client: Client) -> Client:
    root = StaffUser.objects.create_superuser("root", password=PASSWORD)
    sign_in(client, Analyst(user=root, device=add_totp_device(user=root)))
    return client


def test_admin_edit_of_a_staff_user_is_audited(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    page = admin.get(f"/admin/accounts/staffuser/{alice.user.pk}/change/")
    assert page.status_code == 200
    response = admin.post(
        f"/admin/accounts/staffuser/{alice.user.pk}/change/",
        {
            "username": "alice",
            "email": "alice@hotline.example",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "portal_roles-TOTAL_FORMS": "0",
            "portal_roles-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(action="admin.changed").get()
    assert event.target_id == str(alice.user.pk)
    assert "email" in event.data["fields"]
    assert verify_chain().intact


def test_keys_and_the_audit_log_are_read_only_in_the_admin(
    client: Client, tn: Portal, isp: object
) -> None:
    admin = admin_client(client)
    assert admin.get("/admin/audit/auditevent/").status_code == 200
    keys = admin.get("/admin/members/apikey/").content.decode()
    assert "secret_sha256" not in keys


def test_admin_never_shows_or_creates_authenticator_keys(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    device = alice.device
    page = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
    assert admin.get("/admin/otp_totp/totpdevice/add/").status_code == 403


def test_bulk_delete_in_the_admin_is_audited_per_object(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    bob_device = add_totp_device(user=alice.user, name="spare phone")
    response = admin.post(
        "/admin/otp_totp/totpdevice/",
        {
            "action": "delete_selected",
            "_selected_action": [alice.device.pk, bob_device.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="admin.deleted")
    assert sorted(deleted.values_list("target_id", flat=True)) == sorted(
        [str(alice.device.pk), str(bob_device.pk)]
    )
    assert verify_chain().intact


def test_setting_a_password_in_the_admin_is_audited(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    new_password = "a new and long enough password 2"
    response = admin.post(
        f"/admin/accounts/staffuser/{alice.user.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="accounts.password_set_by_admin")
    assert event.target_id == str(alice.user.pk)
    assert new_password not in str(event.data)
    alice.user.refresh_from_db()
    assert alice.user.check_password(new_password)


def test_an_authenticator_cannot_be_moved_or_loosened_in_the_admin(
    client: Client, alice: Analyst
) -> None:
    admin = admin_client(client)
    root = StaffUser.objects.get(username="root")
    root_device = TOTPDevice.objects.get(user=root)
    url = f"/admin/otp_totp/totpdevice/{root_device.pk}/change/"
    response = admin.post(
        url,
        {
            "user": str(alice.user.pk),
            "name": "renamed",
            "confirmed": "on",
            "step": "30",
            "t0": "0",
            "digits": "6",
            "tolerance": "100000",
            "drift": "0",
            "throttling_failure_count": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    root_device.refresh_from_db()
    assert root_device.name == "renamed"
    assert root_device.user_id == root.pk and root_device.tolerance == 1
    assert AuditEvent.objects.filter(action="admin.changed", target_id=str(root_device.pk)).exists()
