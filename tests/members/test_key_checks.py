"""Members authenticate to the API with a bearer key; every refusal says why, in JSON."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.audit.models import AuditEvent
from hotline.members.actions import create_member, issue_api_key, revoke_api_key
from hotline.members.keys import generate_key
from hotline.members.models import ApiKey, MemberKind, Scope
from tests.conftest import MemberKey

FEED = "/api/v1/urllist?format=json"


def refused(client: Client, headers: dict[str, str], status: int, error: str) -> dict[str, str]:
    response = client.get(FEED, headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error and body["message"]
    if status == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="hotline"'
    return body


def test_valid_key_gets_the_feed_and_is_marked_used(client: Client, isp: MemberKey) -> None:
    assert client.get(FEED, headers=isp.header).status_code == 200
    isp.key.refresh_from_db()
    assert isp.key.last_used_at is not None


def test_missing_key(client: Client, db: None) -> None:
    body = refused(client, {}, 401, "missing_key")
    assert "Authorization: Bearer" in body["message"]


def test_other_scheme(client: Client, isp: MemberKey) -> None:
    refused(client, {"Authorization": f"Basic {isp.plaintext}"}, 401, "malformed_header")


def test_malformed_key(client: Client, db: None) -> None:
    refused(client, {"Authorization": "Bearer nonsense"}, 401, "malformed_key")


def test_wrong_secret(client: Client, isp: MemberKey) -> None:
    wrong = f"hlk_{isp.key.prefix}_{'A' * 43}"
    refused(client, {"Authorization": f"Bearer {wrong}"}, 401, "invalid_key")


def test_unknown_prefix(client: Client, db: None) -> None:
    refused(client, {"Authorization": "Bearer hlk_000000000000_secret"}, 401, "invalid_key")


def test_revoked_key(client: Client, isp: MemberKey) -> None:
    revoke_api_key(key=isp.key)
    body = refused(client, isp.header, 401, "revoked_key")
    assert "revoked on" in body["message"]


def test_expired_key(client: Client, db: None) -> None:
    member = create_member(name="Late ISP", kind=MemberKind.ISP)
    _, plaintext = issue_api_key(
        member=member, scopes=[Scope.URLLIST_READ], expires_at=timezone.now() - timedelta(days=1)
    )
    refused(client, {"Authorization": f"Bearer {plaintext}"}, 401, "expired_key")


def test_key_without_the_scope_is_forbidden(client: Client, db: None) -> None:
    member = create_member(name="Narrow ISP", kind=MemberKind.ISP)
    _, plaintext = issue_api_key(member=member, scopes=[])
    refused(client, {"Authorization": f"Bearer {plaintext}"}, 403, "scope")


def test_suspended_member_is_forbidden(client: Client, isp: MemberKey) -> None:
    isp.key.member.is_active = False
    isp.key.member.save()
    refused(client, isp.header, 403, "member_inactive")


@pytest.mark.parametrize(("enabled", "status"), [(True, 200), (False, 401)])
def test_demo_key_works_only_with_the_demo_on(
    client: Client, db: None, settings: object, enabled: bool, status: int
) -> None:
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = enabled  # type: ignore[attr-defined]
    member = create_member(name="Demo", kind=MemberKind.ISP, is_demo=True)
    _, plaintext = issue_api_key(member=member, scopes=[Scope.URLLIST_READ])
    assert client.get(FEED, headers={"Authorization": f"Bearer {plaintext}"}).status_code == status


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
    assert client.get(FEED, headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200


def test_only_a_digest_of_the_key_is_stored_or_audited(isp: MemberKey) -> None:
    secret = isp.plaintext.split("_", 2)[2]
    row = ApiKey.objects.values().get(pk=isp.key.pk)
    assert secret not in str(row)
    for event in AuditEvent.objects.all():
        assert secret not in str(event.data)
    assert AuditEvent.objects.filter(action="members.key_issued").exists()


def test_revoking_twice_audits_once(isp: MemberKey) -> None:
    revoke_api_key(key=isp.key)
    revoke_api_key(key=isp.key)
    assert AuditEvent.objects.filter(action="members.key_revoked").count() == 1
