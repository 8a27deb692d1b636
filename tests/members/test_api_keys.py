"""API keys on the URL list endpoint: each refusal says why; keys are audited, never stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from hotline.audit.models import AuditEvent
from hotline.members.actions import (
    KeyNotIssued,
    create_member,
    issue_api_key,
    record_download,
    revoke_api_key,
)
from hotline.members.keys import generate_key
from hotline.members.models import ApiKey, FeedDownload, Member, MemberKind, Scope
from tests.conftest import MemberKey

URL = "/api/v1/urllist"


def get(client: Client, authorization: str | None) -> tuple[int, dict[str, str], str | None]:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(URL, headers=headers)
    # A refusal is a JSON error; an accepted call streams the list, not read here.
    json_error = not response.streaming and response["Content-Type"].startswith("application/json")
    body = response.json() if json_error else {}
    return response.status_code, body, response.get("WWW-Authenticate")


def new_key(
    member: Member,
    scopes: list[Scope] | None = None,
    expires_at: datetime | None = None,
) -> str:
    _, plaintext = issue_api_key(
        member=member,
        scopes=[Scope.URLLIST_READ] if scopes is None else scopes,
        expires_at=expires_at,
    )
    return f"Bearer {plaintext}"


@pytest.fixture
def member(db: None) -> Member:
    return create_member(name="Filter Co", kind=MemberKind.FILTER_VENDOR, country="MA")


def test_valid_key_is_accepted(client: Client, isp: MemberKey) -> None:
    response = client.get(URL, headers=isp.header)
    assert response.status_code == 200


def test_missing_header_is_401_missing_key(client: Client, db: None) -> None:
    status, body, challenge = get(client, None)
    assert status == 401
    assert body["error"] == "missing_key"
    assert body["message"]
    assert challenge is not None


def test_wrong_scheme_is_401(client: Client, isp: MemberKey) -> None:
    status, body, challenge = get(client, "Basic x")
    assert status == 401
    assert body["message"]
    assert challenge is not None


def test_malformed_key_is_401_malformed_key(client: Client, db: None) -> None:
    status, body, challenge = get(client, "Bearer nonsense")
    assert (status, body["error"]) == (401, "malformed_key")
    assert challenge is not None


def test_wrong_secret_is_401_invalid_key(client: Client, isp: MemberKey) -> None:
    forged = f"Bearer hlk_{isp.key.prefix}_{'x' * 43}"
    status, body, challenge = get(client, forged)
    assert (status, body["error"]) == (401, "invalid_key")
    assert challenge is not None


def test_unknown_prefix_is_401_invalid_key(client: Client, isp: MemberKey) -> None:
    secret = isp.plaintext.split("_", 2)[2]
    status, body, _ = get(client, f"Bearer hlk_000000000000_{secret}")
    assert (status, body["error"]) == (401, "invalid_key")


def test_revoked_key_is_401_revoked_key(client: Client, isp: MemberKey) -> None:
    revoke_api_key(key=isp.key)
    status, body, challenge = get(client, isp.header["Authorization"])
    assert (status, body["error"]) == (401, "revoked_key")
    assert challenge is not None


def test_expired_key_is_401_expired_key(client: Client, member: Member) -> None:
    header = new_key(member, expires_at=timezone.now() + timedelta(days=1))
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # a day later
    status, body, challenge = get(client, header)
    assert (status, body["error"]) == (401, "expired_key")
    assert challenge is not None


def test_key_expiring_later_is_accepted(client: Client, member: Member) -> None:
    header = new_key(member, expires_at=timezone.now() + timedelta(days=30))
    assert get(client, header)[0] == 200


def test_key_without_scope_is_403_scope(client: Client, member: Member) -> None:
    status, body, _ = get(client, new_key(member, scopes=[Scope.HASHLIST_READ]))
    assert (status, body["error"]) == (403, "scope")
    assert "'urllist:read'" in body["message"]


@pytest.mark.parametrize(
    ("terms", "why"),
    [
        ({"scopes": []}, "at least one scope"),
        ({"expires_at": datetime(2020, 1, 1, tzinfo=UTC)}, "already past"),
        ({"requests_per_minute": 0}, "at least 1 request a minute"),
    ],
)
def test_a_key_that_could_never_work_is_not_issued(
    member: Member, terms: dict[str, object], why: str
) -> None:
    arguments: dict[str, Any] = {"member": member, "scopes": [Scope.URLLIST_READ], **terms}
    with pytest.raises(KeyNotIssued, match=why):
        issue_api_key(**arguments)
    assert not ApiKey.objects.exists()
    assert not AuditEvent.objects.filter(action="members.key_issued").exists()


def test_a_key_over_its_rate_limit_is_told_when_to_come_back(
    client: Client, member: Member
) -> None:
    _, plaintext = issue_api_key(member=member, scopes=[Scope.URLLIST_READ], requests_per_minute=2)
    other = new_key(member)
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert [client.get(URL, headers=headers).status_code for _ in range(2)] == [200, 200]
    refused = client.get(URL, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "2 requests a minute" in refused.json()["message"]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert get(client, other)[0] == 200  # counted per key: the member's other key still works


def test_a_download_is_recorded_for_the_member_not_in_the_audit_log(isp: MemberKey) -> None:
    events = AuditEvent.objects.count()
    record_download(key=isp.key, feed="urllist", feed_format="csv", version=7, since=5)
    download = FeedDownload.objects.get()
    assert (download.member_id, download.key_id) == (isp.key.member_id, isp.key.pk)
    assert (download.feed, download.format, download.version, download.since) == (
        "urllist",
        "csv",
        7,
        5,
    )
    assert AuditEvent.objects.count() == events


def test_inactive_member_is_403(client: Client, isp: MemberKey) -> None:
    Member.objects.filter(pk=isp.key.member_id).update(is_active=False)
    status, body, _ = get(client, isp.header["Authorization"])
    assert status == 403
    assert body["error"]


def test_demo_key_refused_when_demo_accounts_disabled(
    client: Client, db: None, settings: Settings
) -> None:
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = False
    demo = create_member(name="Demo ISP", kind=MemberKind.ISP, is_demo=True)
    status, body, challenge = get(client, new_key(demo))
    assert (status, body["error"]) == (401, "demo_key")
    assert challenge is not None


def test_demo_key_accepted_when_demo_accounts_enabled(
    client: Client, db: None, settings: Settings
) -> None:
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = True
    demo = create_member(name="Demo ISP", kind=MemberKind.ISP, is_demo=True)
    assert get(client, new_key(demo))[0] == 200


def test_issuing_a_key_is_audited_without_the_secret(member: Member) -> None:
    key, plaintext = issue_api_key(member=member, scopes=[Scope.URLLIST_READ])
    event = AuditEvent.objects.get(action="members.key_issued", target_id=str(key.pk))
    secret = plaintext.split("_", 2)[2]
    assert event.data["prefix"] == key.prefix
    assert secret not in str(event.data)
    assert plaintext not in str(event.data)


def test_revoking_a_key_is_audited_without_the_secret(isp: MemberKey) -> None:
    revoke_api_key(key=isp.key)
    event = AuditEvent.objects.get(action="members.key_revoked", target_id=str(isp.key.pk))
    assert isp.plaintext.split("_", 2)[2] not in str(event.data)


def test_revoking_twice_writes_one_event(isp: MemberKey) -> None:
    first = revoke_api_key(key=isp.key)
    second = revoke_api_key(key=isp.key)
    assert first.revoked_at == second.revoked_at
    assert AuditEvent.objects.filter(action="members.key_revoked").count() == 1


def test_successful_call_sets_last_used_at(client: Client, isp: MemberKey) -> None:
    assert isp.key.last_used_at is None
    assert client.get(URL, headers=isp.header).status_code == 200
    isp.key.refresh_from_db()
    assert isp.key.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(client: Client, isp: MemberKey) -> None:
    # A busy key must not write (and lock) its row on every request.
    assert client.get(URL, headers=isp.header).status_code == 200
    isp.key.refresh_from_db()
    first = isp.key.last_used_at
    assert first is not None
    assert client.get(URL, headers=isp.header).status_code == 200
    isp.key.refresh_from_db()
    assert isp.key.last_used_at == first
    ApiKey.objects.filter(pk=isp.key.pk).update(last_used_at=first - timedelta(minutes=2))
    assert client.get(URL, headers=isp.header).status_code == 200
    isp.key.refresh_from_db()
    assert isp.key.last_used_at is not None and isp.key.last_used_at > first


def test_refused_call_does_not_set_last_used_at(client: Client, isp: MemberKey) -> None:
    revoke_api_key(key=isp.key)
    client.get(URL, headers=isp.header)
    isp.key.refresh_from_db()
    assert isp.key.last_used_at is None


def test_plaintext_key_is_not_stored(isp: MemberKey) -> None:
    secret = isp.plaintext.split("_", 2)[2]
    row = ApiKey.objects.filter(pk=isp.key.pk).values().get()
    stored = " ".join(str(value) for value in row.values())
    assert secret not in stored
    assert isp.plaintext not in stored


def test_secret_with_underscores_is_accepted(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = generate_key

    def with_underscores() -> object:
        new = real()
        return type(new)(prefix=new.prefix, secret="a_b_" + new.secret)

    monkeypatch.setattr("hotline.members.actions.generate_key", with_underscores)
    member = create_member(name="Underscore ISP", kind=MemberKind.ISP)
    _, plaintext = issue_api_key(member=member, scopes=[Scope.URLLIST_READ])
    assert "_a_b_" in plaintext
    assert get(client, f"Bearer {plaintext}")[0] == 200
