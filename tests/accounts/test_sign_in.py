"""Staff sign in with a password and a TOTP code, or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.access import SIGN_IN_ATTEMPTS, SIGN_IN_WINDOW
from hotline.accounts.actions import add_totp_device, create_staff_user, grant_portal_roles
from hotline.accounts.models import Role
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.conftest import PASSWORD, Analyst, sign_in


def test_staff_pages_send_strangers_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=/staff/")


def test_password_and_current_code_sign_in(client: Client, alice: Analyst) -> None:
    sign_in(client, alice)
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(
        action="accounts.signed_in", actor=f"staff:{alice.user.pk}"
    ).exists()


def test_wrong_code_is_refused_with_one_vague_message(client: Client, alice: Analyst) -> None:
    wrong = "000000" if alice.code() != "000000" else "111111"
    response = client.post(
        "/staff/login/", {"username": "alice", "password": PASSWORD, "otp_token": wrong}
    )
    assert response.status_code == 400
    assert "The username, password or authenticator code is not right." in response.content.decode()
    assert client.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.sign_in_refused", data__reason="otp").exists()


def test_wrong_password_is_refused_with_the_same_message(client: Client, alice: Analyst) -> None:
    response = client.post(
        "/staff/login/", {"username": "alice", "password": "nope", "otp_token": alice.code()}
    )
    assert response.status_code == 400
    assert "The username, password or authenticator code is not right." in response.content.decode()


def test_code_must_be_digits(client: Client, alice: Analyst) -> None:
    response = client.post(
        "/staff/login/", {"username": "alice", "password": PASSWORD, "otp_token": "abc"}
    )
    assert response.status_code == 400
    assert "Enter the 6-digit code from your authenticator app." in response.content.decode()


def test_user_without_an_authenticator_cannot_sign_in(client: Client, tn: Portal) -> None:
    create_staff_user(username="carol", password=PASSWORD)
    response = client.post(
        "/staff/login/", {"username": "carol", "password": PASSWORD, "otp_token": "123456"}
    )
    assert response.status_code == 400


def test_password_only_session_does_not_open_staff_pages(client: Client, alice: Analyst) -> None:
    client.force_login(alice.user)  # a session that skipped the TOTP step
    assert client.get("/staff/").status_code == 302


def test_next_is_followed_only_within_the_site(client: Client, alice: Analyst) -> None:
    data = {"username": "alice", "password": PASSWORD, "otp_token": alice.code()}
    response = client.post(
        "/staff/login/?next=https://evil.example/", {**data, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/staff/"


def test_sign_out_ends_the_session(alice_client: Client) -> None:
    alice_client.post("/staff/logout/")
    assert alice_client.get("/staff/").status_code == 302


@pytest.mark.parametrize(("demo_enabled", "status"), [(True, 302), (False, 400)])
def test_demo_analyst_signs_in_only_when_demo_is_on(
    client: Client, tn: Portal, settings: object, demo_enabled: bool, status: int
) -> None:
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = demo_enabled  # type: ignore[attr-defined]
    user = create_staff_user(username="demo", password=PASSWORD, is_demo=True)
    grant_portal_roles(user=user, portal_codes=["tn"], role=Role.ANALYST)
    analyst = Analyst(user=user, device=add_totp_device(user=user))
    response = client.post(
        "/staff/login/", {"username": "demo", "password": PASSWORD, "otp_token": analyst.code()}
    )
    assert response.status_code == status


def test_demo_session_ends_when_demo_is_switched_off(
    client: Client, tn: Portal, settings: object
) -> None:
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = True  # type: ignore[attr-defined]
    user = create_staff_user(username="demo", password=PASSWORD, is_demo=True)
    analyst = Analyst(user=user, device=add_totp_device(user=user))
    sign_in(client, analyst)
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = False  # type: ignore[attr-defined]
    assert client.get("/staff/").status_code == 302


def test_admin_asks_for_the_code_too(client: Client, tn: Portal) -> None:
    from hotline.accounts.models import StaffUser

    StaffUser.objects.create_superuser("root", password=PASSWORD)
    client.login(username="root", password=PASSWORD)
    response = client.get("/admin/", follow=True)
    # A password alone is not enough: the admin sends them to the one staff sign-in page.
    assert response.redirect_chain[-1][0] == "/staff/login/?next=/admin/"
    assert "authenticator code" in response.content.decode().lower()


def test_admin_refuses_a_signed_in_analyst_who_is_not_an_administrator(
    client: Client, alice: Analyst
) -> None:
    sign_in(client, alice)
    assert client.get("/admin/", follow=True).status_code == 403


def test_a_name_that_is_no_account_is_not_recorded(client: Client, alice: Analyst) -> None:
    # People type their password into the username field; it must not reach the audit log.
    typed = "correct-horse-battery"
    client.post("/staff/login/", {"username": typed, "password": "x", "otp_token": "123456"})
    event = AuditEvent.objects.get(action="accounts.sign_in_refused")
    assert event.data == {"username": "<unknown>", "reason": "password"}
    assert event.target_id == ""
    assert not any(typed in str(e.data) for e in AuditEvent.objects.all())


def test_an_account_refuses_everything_after_too_many_failures(
    client: Client, alice: Analyst
) -> None:
    for _ in range(SIGN_IN_ATTEMPTS):
        client.post(
            "/staff/login/", {"username": "alice", "password": "guess", "otp_token": "123456"}
        )
    refused = AuditEvent.objects.filter(action="accounts.sign_in_refused")
    assert refused.filter(target_id=str(alice.user.pk)).count() == SIGN_IN_ATTEMPTS
    right = {"username": "alice", "password": PASSWORD, "otp_token": alice.code()}
    response = client.post("/staff/login/", right)
    assert response.status_code == 400
    assert "The username, password or authenticator code is not right." in response.content.decode()
    assert refused.filter(data__reason="locked").count() == 1
    # The owner retrying while locked does not extend the lock: only the 10 guesses count.
    for _ in range(SIGN_IN_ATTEMPTS):
        client.post("/staff/login/", right)
    assert refused.filter(data__reason="locked").count() == 1 + SIGN_IN_ATTEMPTS
    # Once the window has passed, the right password and code work again.
    refused.update(occurred_at=timezone.now() - SIGN_IN_WINDOW - timedelta(seconds=1))
    assert client.post("/staff/login/", right).status_code == 302


def guess(client: Client, username: str = "alice") -> int:
    data = {"username": username, "password": "guess", "otp_token": "123456"}
    return client.post("/staff/login/", data).status_code


def test_a_locked_account_still_hashes_the_password(
    client: Client, alice: Analyst, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Skipping the hash on a locked account would answer faster and tell that the account
    # exists; the password is checked and the answer discarded.
    from hotline.accounts.models import StaffUser

    for _ in range(SIGN_IN_ATTEMPTS):
        guess(client)
    checked: list[str] = []
    real_check = StaffUser.check_password

    def spy(self: StaffUser, raw_password: str) -> bool:
        checked.append(raw_password)
        return real_check(self, raw_password)

    monkeypatch.setattr(StaffUser, "check_password", spy)
    right = {"username": "alice", "password": PASSWORD, "otp_token": alice.code()}
    assert client.post("/staff/login/", right).status_code == 400
    assert checked == [PASSWORD]


def test_unlock_lets_the_owner_in_at_once(client: Client, alice: Analyst) -> None:
    from io import StringIO

    from django.core.management import call_command

    for _ in range(SIGN_IN_ATTEMPTS):
        guess(client)
    out = StringIO()
    call_command("staff", "list", stdout=out)
    assert "LOCKED" in out.getvalue()
    call_command("staff", "unlock", "alice", stdout=out)
    assert "alice can sign in again" in out.getvalue()
    assert AuditEvent.objects.filter(action="accounts.sign_in_unlocked").count() == 1
    right = {"username": "alice", "password": PASSWORD, "otp_token": alice.code()}
    assert client.post("/staff/login/", right).status_code == 302


def test_refusals_after_an_unlock_count_again(client: Client, alice: Analyst) -> None:
    from hotline.accounts.access import sign_in_locked
    from hotline.accounts.actions import unlock_sign_in

    for _ in range(SIGN_IN_ATTEMPTS):
        guess(client)
    unlock_sign_in(user=alice.user)
    assert not sign_in_locked("alice")
    for _ in range(SIGN_IN_ATTEMPTS - 1):
        guess(client)
    assert not sign_in_locked("alice")
    guess(client)
    assert sign_in_locked("alice")
