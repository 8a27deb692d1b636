"""`hotline staff`: accounts, roles and authenticators from the command line."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts.models import StaffUser
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.conftest import Analyst


def run(*args: str) -> str:
    out = StringIO()
    call_command("staff", *args, stdout=out)
    return out.getvalue()


def test_empty_list_says_how_to_add(db: None) -> None:
    assert "No staff accounts yet" in run("list")


def test_added_analyst_signs_in_with_what_was_printed(
    client: Client, tn: Portal, ma: Portal
) -> None:
    out = run("add", "dalia", "--portal", "tn", "--portal", "ma")
    password = re.search(r"Password \(shown once\): (\S+)", out)
    assert password is not None
    assert "otpauth://totp/" in out
    device = TOTPDevice.objects.get(user__username="dalia")
    analyst = Analyst(user=device.user, device=device)
    response = client.post(
        "/staff/login/",
        {"username": "dalia", "password": password.group(1), "otp_token": analyst.code()},
    )
    assert response.status_code == 302
    assert "analyst@ma, analyst@tn  MFA set up" in run("list")


def test_unknown_portal_is_refused_and_nothing_is_created(tn: Portal) -> None:
    with pytest.raises(CommandError, match="No portal xx; known: tn"):
        run("add", "dalia", "--portal", "xx")
    assert not AuditEvent.objects.filter(action="accounts.staff_created").exists()


def test_existing_name_is_refused(alice: Analyst) -> None:
    with pytest.raises(CommandError, match="already exists"):
        run("add", "alice")


def test_grant_adds_a_role(alice: Analyst, ma: Portal) -> None:
    assert "alice is senior_analyst on ma." in run(
        "grant", "alice", "--portal", "ma", "--role", "senior_analyst"
    )
    assert "senior_analyst@ma" in run("list")


def test_reset_mfa_replaces_the_authenticator(alice: Analyst) -> None:
    out = run("reset-mfa", "alice")
    assert "otpauth://totp/" in out
    assert not TOTPDevice.objects.filter(pk=alice.device.pk).exists()
    assert TOTPDevice.objects.filter(user=alice.user).count() == 1
    event = AuditEvent.objects.get(action="accounts.mfa_reset")
    assert event.data == {"removed": 1}


def test_unknown_account_is_named(db: None) -> None:
    with pytest.raises(CommandError, match="No staff account named 'nobody'"):
        run("reset-mfa", "nobody")


def test_unlock_of_an_account_that_is_not_locked_changes_nothing(alice: Analyst) -> None:
    assert "alice has no refused sign-ins counted; nothing to do." in run("unlock", "alice")
    assert not AuditEvent.objects.filter(action="accounts.sign_in_unlocked").exists()


def test_added_account_gets_recovery_codes_and_a_password_that_passes_the_rules(
    tn: Portal,
) -> None:
    out = run("add", "dalia", "--portal", "tn")
    password = re.search(r"Password \(shown once\): (\S+)", out)
    assert password is not None
    user = StaffUser.objects.get(username="dalia")
    validate_password(password.group(1), user=user)  # raises if a rule is broken
    codes = re.findall(r"^  ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$", out, re.M)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "10 recovery codes" in run("list")


def test_superuser_is_made_by_staff_add_and_audited(client: Client, db: None) -> None:
    out = run("add", "root", "--superuser")
    assert "Superuser root created." in out
    root = StaffUser.objects.get(username="root")
    assert root.is_superuser and root.is_staff
    event = AuditEvent.objects.get(action="accounts.staff_created")
    assert event.data == {"username": "root", "demo": False, "superuser": True}
    password = re.search(r"Password \(shown once\): (\S+)", out)
    assert password is not None
    device = TOTPDevice.objects.get(user=root)
    response = client.post(
        "/staff/login/?next=/admin/",
        {
            "username": "root",
            "password": password.group(1),
            "otp_token": Analyst(root, device).code(),
            "next": "/admin/",
        },
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_createsuperuser_is_refused_with_a_pointer_to_staff_add(db: None) -> None:
    # Django's own command would make an account with no audit event and no authenticator.
    with pytest.raises(CommandError, match=r"hotline staff add NAME --superuser"):
        call_command("createsuperuser", "--noinput", "--username", "root")
    assert not StaffUser.objects.exists()
