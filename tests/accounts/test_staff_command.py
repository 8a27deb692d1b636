"""`hotline staff`: accounts, roles and authenticators from the command line."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

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
    out = StringIO()
    call_command("staff", "unlock", "alice", stdout=out)
    assert "alice is not locked; nothing to do." in out.getvalue()
    assert not AuditEvent.objects.filter(action="accounts.sign_in_unlocked").exists()
