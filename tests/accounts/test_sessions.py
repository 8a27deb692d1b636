"""Staff sessions end after 30 minutes without activity, and after 8 hours however active."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from hotline.accounts.sessions import LAST_SEEN, SIGNED_IN_AT
from tests.conftest import Analyst, sign_in
from tests.core.test_settings import run_manage


def move_back(client: Client, key: str, seconds: int) -> None:
    """As if the session's `key` time had been `seconds` earlier."""
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_a_session_idle_for_thirty_minutes_ends_and_the_sign_in_page_says_why(
    client: Client, alice: Analyst
) -> None:
    sign_in(client, alice)
    move_back(client, LAST_SEEN, 30 * 60 + 1)
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/login/?next=/staff/"
    page = response.content.decode()
    assert "You were signed out after 30 minutes without activity." in page
    # Said once, not on every later visit of the sign-in page.
    assert "without activity" not in client.get("/staff/login/").content.decode()


def test_activity_within_the_idle_limit_keeps_the_session(client: Client, alice: Analyst) -> None:
    sign_in(client, alice)
    move_back(client, LAST_SEEN, 29 * 60)
    assert client.get("/staff/").status_code == 200
    # That request counted as activity: another 29 minutes later the session still holds.
    move_back(client, LAST_SEEN, 29 * 60)
    assert client.get("/staff/").status_code == 200


def test_a_session_ends_after_eight_hours_however_active(client: Client, alice: Analyst) -> None:
    sign_in(client, alice)
    move_back(client, SIGNED_IN_AT, 8 * 3600 + 1)
    response = client.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/login/?next=/staff/"
    assert "your session reached its time limit" in response.content.decode()


def test_the_idle_limit_applies_to_the_admin_too(client: Client, alice: Analyst) -> None:
    alice.user.is_staff = alice.user.is_superuser = True
    alice.user.save()
    sign_in(client, alice)
    assert client.get("/admin/").status_code == 200
    move_back(client, LAST_SEEN, 30 * 60 + 1)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/login/?next=/admin/"


def test_the_idle_limit_is_a_setting(client: Client, alice: Analyst, settings: object) -> None:
    settings.HOTLINE_STAFF_IDLE_SECONDS = 5 * 60  # type: ignore[attr-defined]
    sign_in(client, alice)
    move_back(client, LAST_SEEN, 5 * 60 + 1)
    response = client.get("/staff/", follow=True)
    assert "You were signed out after 5 minutes without activity." in response.content.decode()


def test_an_idle_limit_out_of_range_is_refused_at_start_up(tmp_path: Path) -> None:
    result = run_manage(
        "check",
        env={
            "HOTLINE_DEBUG": "1",
            "HOTLINE_STAFF_IDLE_SECONDS": "10",
            "HOTLINE_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "HOTLINE_STAFF_IDLE_SECONDS=10 must be between 60 and" in result.stderr
