"""Staff sign in with a password and a TOTP code, or not at all."""

from __future__ import annotations

import pytest
from django.test import Client

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


def test_signing_in_leads_a_partner_to_the_figures_and_an_analyst_to_the_queue(
    client: Client, alice: Analyst, tn: Portal
) -> None:
    response = client.post(
        "/staff/login/",
        {"username": "alice", "password": PASSWORD, "otp_token": alice.code()},
    )
    assert response["Location"] == "/staff/"
    menu = client.get("/staff/").content.decode().split('class="staff-nav"')[1].split("</nav>")[0]
    assert "Queue" in menu and "Takedown" in menu and "Welfare" in menu
    client.post("/staff/logout/")
    partner = create_staff_user(username="partner", password=PASSWORD)
    grant_portal_roles(user=partner, portal_codes=["tn"], role=Role.PARTNER_VIEWER)
    device = add_totp_device(user=partner)
    response = client.post(
        "/staff/login/",
        {"username": "partner", "password": PASSWORD, "otp_token": Analyst(partner, device).code()},
    )
    assert response["Location"] == "/staff/figures/"
    # The queue, where a sign-in from /staff/ would lead, is not a partner's page either,
    # and the menu offers none of the analysts' pages.
    assert client.get("/staff/")["Location"] == "/staff/figures/"
    menu = client.get("/staff/figures/").content.decode().split('class="staff-nav"')[1]
    menu = menu.split("</nav>")[0]
    assert "/staff/figures/" in menu
    assert "Queue" not in menu and "Takedown" not in menu and "Welfare" not in menu


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


def test_code_must_be_digits_or_a_recovery_code(client: Client, alice: Analyst) -> None:
    response = client.post(
        "/staff/login/", {"username": "alice", "password": PASSWORD, "otp_token": "abc"}
    )
    assert response.status_code == 400
    assert (
        "Enter the 6-digit code from your authenticator app, or a recovery code."
        in response.content.decode()
    )
    # A slip in the format is not a guess: nothing is refused, nothing counts.
    assert not AuditEvent.objects.filter(action="accounts.sign_in_refused").exists()


def test_right_code_right_after_a_wrong_one_signs_in(client: Client, alice: Analyst) -> None:
    # django-otp's own device throttle used to refuse the right code for a second or so after
    # a wrong one, with the same "not right" message; our throttle has taken its place.
    right = alice.code()
    wrong = "000000" if right != "000000" else "111111"
    data = {"username": "alice", "password": PASSWORD}
    assert client.post("/staff/login/", {**data, "otp_token": wrong}).status_code == 400
    # (Its delay was one second, which a slow machine may spend between the two requests, so
    # the switch itself is checked too.)
    alice.device.refresh_from_db()
    assert not alice.device.throttling_enabled and alice.device.verify_is_allowed() == (True, None)
    assert client.post("/staff/login/", {**data, "otp_token": right}).status_code == 302


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
