"""Every privileged change made in the admin is audited: roles, groups, permissions, flags."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.test import Client

from hotline.accounts.models import PortalRole, StaffUser
from hotline.audit.chain import verify_chain
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.accounts.test_admin import admin_client
from tests.conftest import Analyst


def user_form(user: StaffUser, roles: list[PortalRole] | None = None, **changes: Any) -> dict:
    """The admin's change form for `user` as it stands, with `changes` applied."""
    data: dict[str, Any] = {
        "username": user.username,
        "email": user.email,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "portal_roles-TOTAL_FORMS": str(len(roles or [])),
        "portal_roles-INITIAL_FORMS": str(len(roles or [])),
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    for n, grant in enumerate(roles or []):
        data.update(
            {
                f"portal_roles-{n}-id": str(grant.pk),
                f"portal_roles-{n}-user": str(user.pk),
                f"portal_roles-{n}-portal": str(grant.portal_id),
                f"portal_roles-{n}-role": grant.role,
            }
        )
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def change_user(admin: Client, user: StaffUser, data: dict) -> None:
    response = admin.post(f"/admin/accounts/staffuser/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def root_actor() -> str:
    return f"staff:{StaffUser.objects.get(username='root').pk}"


def test_a_role_given_in_the_admin_is_a_role_grant(
    client: Client, alice: Analyst, tn: Portal
) -> None:
    admin = admin_client(client)
    grant = PortalRole.objects.get(user=alice.user)
    data = user_form(alice.user, [grant])
    data.update(
        {
            "portal_roles-TOTAL_FORMS": "2",
            "portal_roles-1-portal": str(tn.pk),
            "portal_roles-1-role": "senior_analyst",
        }
    )
    change_user(admin, alice.user, data)
    event = AuditEvent.objects.filter(action="accounts.role_granted", actor=root_actor()).get()
    assert event.target_id == str(alice.user.pk)
    assert (event.portal, event.data) == ("tn", {"role": "senior_analyst"})
    assert PortalRole.objects.filter(user=alice.user, role="senior_analyst").exists()
    assert verify_chain().intact


def test_a_role_changed_in_the_admin_is_revoked_then_granted(
    client: Client, alice: Analyst
) -> None:
    admin = admin_client(client)
    grant = PortalRole.objects.get(user=alice.user)
    data = user_form(alice.user, [grant], **{"portal_roles-0-role": "partner_viewer"})
    change_user(admin, alice.user, data)
    actor = root_actor()
    revoked = AuditEvent.objects.get(action="accounts.role_revoked", actor=actor)
    granted = AuditEvent.objects.get(action="accounts.role_granted", actor=actor)
    assert revoked.data == {"role": "analyst"} and granted.data == {"role": "partner_viewer"}
    assert list(PortalRole.objects.filter(user=alice.user).values_list("role", flat=True)) == [
        "partner_viewer"
    ]


def test_a_role_deleted_in_the_admin_is_revoked(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    grant = PortalRole.objects.get(user=alice.user)
    change_user(
        admin, alice.user, user_form(alice.user, [grant], **{"portal_roles-0-DELETE": "on"})
    )
    event = AuditEvent.objects.get(action="accounts.role_revoked")
    assert (event.actor, event.portal, event.data) == (root_actor(), "tn", {"role": "analyst"})
    assert not PortalRole.objects.filter(user=alice.user).exists()


def test_deleting_an_account_in_the_admin_revokes_its_roles_on_the_record(
    client: Client, alice: Analyst
) -> None:
    admin = admin_client(client)
    response = admin.post(f"/admin/accounts/staffuser/{alice.user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="accounts.role_revoked", actor=root_actor()).exists()
    assert AuditEvent.objects.filter(action="admin.deleted", target_id=str(alice.user.pk)).exists()


def test_making_someone_a_superuser_in_the_admin_is_recorded_with_the_new_value(
    client: Client, alice: Analyst
) -> None:
    admin = admin_client(client)
    change_user(admin, alice.user, user_form(alice.user, is_staff="on", is_superuser="on"))
    event = AuditEvent.objects.get(action="accounts.privileges_changed")
    assert event.data == {"model": "accounts.staffuser", "is_staff": True, "is_superuser": True}
    assert event.actor == root_actor()


def test_groups_and_permissions_given_to_a_user_are_named(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    reviewers = Group.objects.create(name="reviewers")
    permission = Permission.objects.get(codename="change_portal")
    change_user(
        admin,
        alice.user,
        user_form(alice.user, groups=[reviewers.pk], user_permissions=[permission.pk]),
    )
    events = {
        e.data["field"]: e.data for e in AuditEvent.objects.filter(action="admin.relations_changed")
    }
    assert events["groups"]["added"] == ["reviewers"] and events["groups"]["removed"] == []
    assert events["user_permissions"]["added"] == [str(permission)]
    # And taken away again.
    AuditEvent.objects.filter(action="admin.relations_changed").delete()
    change_user(admin, alice.user, user_form(alice.user, groups=[], user_permissions=[]))
    removed = AuditEvent.objects.get(action="admin.relations_changed", data__field="groups")
    assert removed.data["removed"] == ["reviewers"] and removed.data["added"] == []


def test_a_group_and_its_permissions_are_audited(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    change_portal = Permission.objects.get(codename="change_portal")
    view_member = Permission.objects.get(codename="view_member")
    response = admin.post(
        "/admin/auth/group/add/", {"name": "launchers", "permissions": [change_portal.pk]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="launchers")
    assert AuditEvent.objects.filter(action="admin.added", target_id=str(group.pk)).exists()
    added = AuditEvent.objects.get(action="admin.relations_changed")
    assert added.data["added"] == [str(change_portal)]
    response = admin.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "launchers", "permissions": [view_member.pk]},
    )
    assert response.status_code == 302
    changed = AuditEvent.objects.filter(action="admin.relations_changed").last()
    assert changed is not None
    assert changed.data["added"] == [str(view_member)]
    assert changed.data["removed"] == [str(change_portal)]
    response = admin.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})
    assert AuditEvent.objects.filter(action="admin.deleted", target_id=str(group.pk)).exists()
    assert verify_chain().intact


def test_changing_ones_own_password_in_the_admin_is_audited(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    new = "another long and unusual password 7"
    response = admin.post(
        "/admin/password_change/",
        {
            "old_password": "correct horse battery staple",
            "new_password1": new,
            "new_password2": new,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="accounts.password_changed")
    assert event.actor == root_actor() and new not in str(event.data)
