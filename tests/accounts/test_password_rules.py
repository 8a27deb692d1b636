"""Password rules (AUTH_PASSWORD_VALIDATORS) apply wherever a staff password is set."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from hotline.accounts import actions as accounts_actions
from hotline.accounts.actions import create_staff_user, generate_password
from hotline.accounts.models import StaffUser
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.accounts.test_admin import admin_client
from tests.conftest import PASSWORD, Analyst


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short pw 1", "at least 12 characters"),
        ("password1234", "too common"),
        ("dina.staffer-2026", "too similar to the username"),
        ("314159265358979", "entirely numeric"),
    ],
)
def test_an_account_with_a_weak_password_is_not_created(db: None, password: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule):
        create_staff_user(username="dina.staffer", password=password)
    assert not StaffUser.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_administrator_cannot_set_a_weak_password(client: Client, alice: Analyst) -> None:
    admin = admin_client(client)
    response = admin.post(
        f"/admin/accounts/staffuser/{alice.user.pk}/password/",
        {"password1": "short", "password2": "short", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    alice.user.refresh_from_db()
    assert alice.user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="accounts.password_set_by_admin").exists()


def test_an_account_added_in_the_admin_needs_a_strong_password(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/accounts/staffuser/add/",
        {
            "username": "dina",
            "password1": "password1234",
            "password2": "password1234",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not StaffUser.objects.filter(username="dina").exists()


def test_ones_own_new_password_in_the_admin_must_follow_the_rules(
    client: Client, tn: Portal
) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert StaffUser.objects.get(username="root").check_password(PASSWORD)


def test_a_generated_password_is_drawn_again_until_the_rules_accept_it(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first draw is the account's own name in disguise, as random text can rarely be.
    draws = iter(["demo-analyst-x1", "Vq3-9xLr_0PzT8kWmN2sYb4c"])
    monkeypatch.setattr(accounts_actions.secrets, "token_urlsafe", lambda _n: next(draws))
    password = generate_password(username="demo-analyst")
    assert password == "Vq3-9xLr_0PzT8kWmN2sYb4c"
    validate_password(password, user=StaffUser(username="demo-analyst"))
