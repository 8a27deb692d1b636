"""Sign-in throttling: guessing is slowed down, and a stranger cannot keep an analyst out.

The rules and their reasons are in hotline/accounts/throttle.py. Time passes in these tests by
moving every stored throttle time into the past (`let_time_pass`), the way it would look after
waiting; the TOTP codes and the daily client-key secret stay on the real clock.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client, RequestFactory
from django.utils import timezone

from hotline.accounts import throttle
from hotline.accounts.actions import (
    forget_stale_sign_in_throttles,
    issue_recovery_codes,
    record_failed_sign_in,
    record_sign_in,
)
from hotline.accounts.models import AccountThrottle, ClientThrottle, StaffUser
from hotline.audit.models import AuditEvent
from hotline.core.ratelimit import client_key
from tests.conftest import PASSWORD, Analyst

STRANGER = "203.0.113.66"
ALICE_AT_WORK = "198.51.100.7"
NOT_RIGHT = "The username, password or authenticator code is not right."
HELD_BACK = re.compile(
    r"Too many failed sign-ins from this connection\. Try again after (\d\d:\d\d:\d\d) UTC"
)


def attempt(client: Client, address: str, username: str, password: str, code: str) -> int:
    data = {"username": username, "password": password, "otp_token": code}
    return client.post("/staff/login/", data, REMOTE_ADDR=address).status_code


def guess(client: Client, address: str = STRANGER, username: str = "alice") -> int:
    return attempt(client, address, username, "a guess at the password", "123456")


def key_of(address: str) -> str:
    return client_key(RequestFactory().post("/staff/login/", REMOTE_ADDR=address))


def let_time_pass(seconds: float) -> None:
    """Every stored throttle time moves `seconds` into the past: as if that long had passed."""
    delta = timedelta(seconds=seconds)
    for model in (ClientThrottle, AccountThrottle):
        model.objects.update(
            last_failure_at=F("last_failure_at") - delta,
            throttled_until=F("throttled_until") - delta,
        )


class Clock:
    """Steps of a given length, however long the requests in each took on the real clock."""

    def __init__(self) -> None:
        self.mark = time.monotonic()

    def step(self, seconds: float) -> None:
        let_time_pass(seconds - (time.monotonic() - self.mark))
        self.mark = time.monotonic()


def test_delays_start_after_the_free_failures_and_double_up_to_fifteen_minutes() -> None:
    delays = [throttle.CLIENT.delay_after(n).total_seconds() for n in range(1, 14)]
    assert delays == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    assert throttle.ACCOUNT.delay_after(throttle.ACCOUNT.free_failures) == timedelta(0)
    assert throttle.ACCOUNT.delay_after(10_000) == timedelta(minutes=15)


def test_a_connection_is_held_back_after_five_failures_and_told_until_when(
    client: Client, alice: Analyst
) -> None:
    wrong = {"username": "alice", "password": "guess", "otp_token": "123456"}
    for _ in range(throttle.CLIENT.free_failures):
        response = client.post("/staff/login/", wrong, REMOTE_ADDR=STRANGER)
        page = response.content.decode()
        assert response.status_code == 400 and NOT_RIGHT in page and not HELD_BACK.search(page)
    # The failure that starts the wait says so at once, with the plain refusal.
    response = client.post("/staff/login/", wrong, REMOTE_ADDR=STRANGER)
    page = response.content.decode()
    assert response.status_code == 400 and NOT_RIGHT in page and HELD_BACK.search(page)
    # Now even the right password and code from this connection are refused, as a throttle.
    right = {"username": "alice", "password": PASSWORD, "otp_token": alice.code()}
    response = client.post("/staff/login/", right, REMOTE_ADDR=STRANGER)
    page = response.content.decode()
    assert response.status_code == 429
    held = HELD_BACK.search(page)
    assert held is not None, page
    until = ClientThrottle.objects.get(client_key=key_of(STRANGER)).throttled_until
    assert until is not None and held.group(1) == until.strftime("%H:%M:%S")
    assert 0 < int(response["Retry-After"]) <= 30
    assert NOT_RIGHT not in page
    # Once the wait is over, the right answer from that connection signs in.
    let_time_pass(30)
    assert client.post("/staff/login/", right, REMOTE_ADDR=STRANGER).status_code == 302


def test_a_held_back_connection_gets_the_same_answer_for_any_name(
    client: Client, alice: Analyst
) -> None:
    for _ in range(throttle.CLIENT.free_failures + 1):
        guess(client, username="nobody")
    for_alice = client.post(
        "/staff/login/",
        {"username": "alice", "password": "x", "otp_token": "123456"},
        REMOTE_ADDR=STRANGER,
    )
    for_nobody = client.post(
        "/staff/login/",
        {"username": "nobody", "password": "x", "otp_token": "123456"},
        REMOTE_ADDR=STRANGER,
    )
    assert for_alice.status_code == for_nobody.status_code == 429

    def message(response: object) -> str:
        found = HELD_BACK.search(response.content.decode())  # type: ignore[attr-defined]
        assert found is not None
        return found.group(0)

    assert message(for_alice) == message(for_nobody)
    # Both say the same time; how many seconds remain depends on when each was answered.
    assert 0 < int(for_nobody["Retry-After"]) <= int(for_alice["Retry-After"]) <= 30


def test_waiting_is_not_lengthened_by_retrying(client: Client, alice: Analyst) -> None:
    for _ in range(throttle.CLIENT.free_failures + 1):
        guess(client)
    row = ClientThrottle.objects.get(client_key=key_of(STRANGER))
    for _ in range(3):
        assert guess(client) == 429
    row_after = ClientThrottle.objects.get(pk=row.pk)
    assert (row_after.failures, row_after.throttled_until) == (row.failures, row.throttled_until)
    refused = AuditEvent.objects.filter(action="accounts.sign_in_refused", data__reason="throttled")
    assert refused.count() == 3


def test_a_held_back_attempt_still_hashes_the_password(
    client: Client, alice: Analyst, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Skipping the hash while held back would answer faster; the password is checked and the
    # answer discarded.
    for _ in range(throttle.CLIENT.free_failures + 1):
        guess(client)
    checked: list[str] = []
    real_check = StaffUser.check_password

    def spy(self: StaffUser, raw_password: str) -> bool:
        checked.append(raw_password)
        return real_check(self, raw_password)

    monkeypatch.setattr(StaffUser, "check_password", spy)
    assert attempt(client, STRANGER, "alice", PASSWORD, alice.code()) == 429
    assert checked == [PASSWORD]


def test_a_stranger_guessing_every_90_seconds_for_an_hour_does_not_keep_alice_out(
    client: Client, alice: Analyst
) -> None:
    recovery_codes = issue_recovery_codes(user=alice.user)
    stranger = Client()
    answers = []
    clock = Clock()
    for minute_and_a_half in range(40):
        answers.append(guess(stranger))
        # One connection never puts the account under attack, however long it goes on.
        assert throttle.attack_throttled_until() is None
        if minute_and_a_half == 20:
            # Half an hour in, Alice signs in from the office (with a recovery code: her
            # authenticator's code of this half-minute is spent at the end).
            assert attempt(client, ALICE_AT_WORK, "alice", PASSWORD, recovery_codes[0]) == 302
            client.post("/staff/logout/")
        clock.step(90)
    # Mostly, the stranger held back their own connection: of 40 guesses, 12 or 13 were
    # checked (5 free, then one after each wait of 30 s, 1, 2, 4, 8, 15, 15 min; the last two
    # end just as the next guess comes, and whether it is let in depends on how long the
    # guess before took to hash), the others refused unchecked.
    assert answers.count(400) in (12, 13) and answers.count(429) == 40 - answers.count(400)
    assert throttle.account_state(alice.user).failures <= throttle.CLIENT.free_failures
    assert attempt(client, ALICE_AT_WORK, "alice", PASSWORD, alice.code()) == 302
    assert client.get("/staff/").status_code == 200


def fail_from_many_connections(username: str, connections: int) -> None:
    """A spread-out attack: each connection spends its free failures on `username`."""
    for n in range(connections):
        for _ in range(throttle.CLIENT.free_failures):
            record_failed_sign_in(username=username, reason="password", client_key=f"bot-{n}")


def test_a_spread_out_attack_holds_back_every_failing_connection_but_not_the_right_answer(
    client: Client, alice: Analyst
) -> None:
    needed = throttle.ACCOUNT.free_failures // throttle.CLIENT.free_failures + 1
    fail_from_many_connections("alice", needed)
    until = throttle.attack_throttled_until()
    assert until is not None and until > timezone.now()
    # A new connection's first failure now waits as long as the account, whatever name it
    # tried (so who waits says nothing about which account is under attack).
    assert guess(client, address="192.0.2.10", username="nobody") == 400
    assert guess(client, address="192.0.2.10", username="nobody") == 429
    assert guess(client, address="192.0.2.11", username="alice") == 400
    assert guess(client, address="192.0.2.11", username="alice") == 429
    # Alice, with the right password and code from a connection that has not failed, is in,
    # and that ends the account's throttle.
    assert attempt(client, ALICE_AT_WORK, "alice", PASSWORD, alice.code()) == 302
    assert not AccountThrottle.objects.filter(user=alice.user).exists()
    assert throttle.attack_throttled_until() is None


def test_an_account_forgets_failures_after_a_quiet_hour(alice: Analyst) -> None:
    fail_from_many_connections("alice", 3)
    assert throttle.account_state(alice.user).failures == 3 * throttle.CLIENT.free_failures
    let_time_pass(throttle.ACCOUNT.memory.total_seconds() + 1)
    assert throttle.account_state(alice.user).failures == 0
    record_failed_sign_in(username="alice", reason="password", client_key="another")
    assert AccountThrottle.objects.get(user=alice.user).failures == 1


def test_signing_in_clears_the_account_but_not_the_connection(alice: Analyst) -> None:
    for _ in range(throttle.CLIENT.free_failures + 1):
        record_failed_sign_in(username="alice", reason="otp", client_key="office")
    record_sign_in(user=alice.user)
    assert not AccountThrottle.objects.filter(user=alice.user).exists()
    # Signing in to one's own account must not wipe a connection's failures: an insider could
    # otherwise guess at colleagues' accounts without end.
    assert throttle.client_throttled_until("office") is not None


def test_unlock_forgets_the_account_and_optionally_every_connection(
    client: Client, alice: Analyst
) -> None:
    fail_from_many_connections("alice", 11)
    out = StringIO()
    call_command("staff", "list", stdout=out)
    assert "55 recent refused sign-ins, UNDER ATTACK" in out.getvalue()
    call_command("staff", "unlock", "alice", stdout=out)
    assert "55 refused sign-in(s) against alice forgotten" in out.getvalue()
    assert throttle.account_state(alice.user).failures == 0
    assert throttle.attack_throttled_until() is None
    assert AuditEvent.objects.filter(action="accounts.sign_in_unlocked").count() == 1
    # The connections still wait; --connections forgets them too (a shared office address).
    assert throttle.client_throttled_until("bot-0") is None  # 5 failures: still free
    record_failed_sign_in(username="alice", reason="password", client_key="bot-0")
    assert throttle.client_throttled_until("bot-0") is not None
    call_command("staff", "unlock", "alice", "--connections", stdout=out)
    assert "Refused sign-ins of 11 connection(s) forgotten." in out.getvalue()
    assert throttle.client_throttled_until("bot-0") is None
    event = AuditEvent.objects.get(action="accounts.connection_throttles_cleared")
    assert event.data == {"count": 11}


def test_no_address_or_connection_key_is_recorded(client: Client, alice: Analyst) -> None:
    for _ in range(throttle.CLIENT.free_failures + 2):
        guess(client)
    key = key_of(STRANGER)
    for event in AuditEvent.objects.all():
        assert STRANGER not in str(event.data) and key not in str(event.data)
    # The connection's row holds the keyed hash only.
    row = ClientThrottle.objects.get()
    assert row.client_key == key and STRANGER not in str(row.__dict__)


def test_ipv6_addresses_of_one_64_count_as_one_connection(client: Client, alice: Analyst) -> None:
    for n in range(throttle.CLIENT.free_failures + 1):
        guess(client, address=f"2001:db8:1:2::{n + 1:x}")
    assert guess(client, address="2001:db8:1:2:ffff::9") == 429
    assert guess(client, address="2001:db8:1:3::1") == 400


def test_the_periodic_job_deletes_throttles_once_their_failures_are_forgotten(
    alice: Analyst,
) -> None:
    record_failed_sign_in(username="alice", reason="password", client_key="old")
    let_time_pass(throttle.CLIENT.memory.total_seconds() + 1)
    record_failed_sign_in(username="alice", reason="password", client_key="recent")
    assert forget_stale_sign_in_throttles() == 1
    assert list(ClientThrottle.objects.values_list("client_key", flat=True)) == ["recent"]
    assert AccountThrottle.objects.filter(user=alice.user).exists()
    event = AuditEvent.objects.get(action="accounts.sign_in_throttles_expired")
    assert event.data == {"connections": 1, "accounts": 0}
