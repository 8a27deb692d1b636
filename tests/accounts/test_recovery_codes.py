"""Recovery codes: ten one-use codes that stand in for a lost authenticator, kept only hashed."""

from __future__ import annotations

import re
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django_otp import match_token

from hotline.accounts.actions import issue_recovery_codes
from hotline.accounts.models import RecoveryCode
from hotline.audit.models import AuditEvent
from tests.conftest import PASSWORD, Analyst


def sign_in_with(client: Client, code: str, password: str = PASSWORD) -> int:
    data = {"username": "alice", "password": password, "otp_token": code}
    return client.post("/staff/login/", data).status_code


def test_the_command_prints_ten_codes_once_and_keeps_only_their_hashes(alice: Analyst) -> None:
    out = StringIO()
    call_command("staff", "recovery-codes", "alice", stdout=out)
    codes = re.findall(r"^  (\S{4}-\S{4}-\S{4}-\S{4})$", out.getvalue(), re.M)
    assert len(set(codes)) == 10
    kept = list(RecoveryCode.objects.values_list("code_sha256", flat=True))
    assert len(kept) == 10
    stored = str(kept) + str(list(AuditEvent.objects.values_list("data", flat=True)))
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    event = AuditEvent.objects.get(action="accounts.recovery_codes_issued")
    assert event.data == {"issued": 10, "replaced": 0}


def test_a_recovery_code_signs_in_once(client: Client, alice: Analyst) -> None:
    codes = issue_recovery_codes(user=alice.user)
    assert sign_in_with(client, codes[3]) == 302
    assert client.get("/staff/").status_code == 200  # an MFA-verified session
    used = AuditEvent.objects.get(action="accounts.recovery_code_used")
    assert used.data == {"remaining": 9} and used.actor == f"staff:{alice.user.pk}"
    signed_in = AuditEvent.objects.get(action="accounts.signed_in")
    assert signed_in.data == {"with": "recovery_code"}
    client.post("/staff/logout/")
    assert sign_in_with(client, codes[3]) == 400
    assert RecoveryCode.objects.count() == 9


def test_a_code_may_be_typed_in_capitals_and_without_hyphens(
    client: Client, alice: Analyst
) -> None:
    codes = issue_recovery_codes(user=alice.user)
    assert sign_in_with(client, codes[0].replace("-", " ").upper()) == 302


def test_a_code_with_the_wrong_password_is_refused_and_not_spent(
    client: Client, alice: Analyst
) -> None:
    codes = issue_recovery_codes(user=alice.user)
    assert sign_in_with(client, codes[0], password="not the password") == 400
    assert RecoveryCode.objects.count() == 10
    assert sign_in_with(client, codes[0]) == 302


def test_new_codes_replace_the_old_ones(client: Client, alice: Analyst) -> None:
    old = issue_recovery_codes(user=alice.user)
    new = issue_recovery_codes(user=alice.user)
    assert sign_in_with(client, old[0]) == 400
    assert sign_in_with(client, new[0]) == 302
    event = AuditEvent.objects.filter(action="accounts.recovery_codes_issued").last()
    assert event is not None and event.data == {"issued": 10, "replaced": 10}


def test_a_colleagues_code_does_not_open_an_account(
    client: Client, alice: Analyst, bob: Analyst
) -> None:
    bobs = issue_recovery_codes(user=bob.user)
    issue_recovery_codes(user=alice.user)
    assert sign_in_with(client, bobs[0]) == 400
    assert RecoveryCode.objects.filter(device__user=bob.user).count() == 10


def test_django_otps_generic_check_never_accepts_or_spends_a_code(alice: Analyst) -> None:
    # Codes are spent only through the audited action; django-otp's match_token (used by its
    # own forms and admin login) must not be a way around it.
    codes = issue_recovery_codes(user=alice.user)
    assert match_token(alice.user, codes[0]) is None
    assert RecoveryCode.objects.count() == 10
