"""Members and keys in the admin: members edited (audited), keys issued through the same action
as the command line and shown once, revoked with an action, never edited; downloads read-only."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from hotline.audit.models import AuditEvent
from hotline.members.actions import record_download
from hotline.members.models import ApiKey, FeedDownload, Member
from tests.accounts.test_admin import admin_client
from tests.conftest import MemberKey

KEY = re.compile(r"hlk_[0-9a-f]+_\S+")


def test_a_member_added_in_the_admin_is_audited(client: Client, db: None) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/members/member/add/",
        {"name": "Mobile Co", "kind": "mobile_operator", "country": "TN", "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    member = Member.objects.get(name="Mobile Co")
    event = AuditEvent.objects.get(action="admin.added", target_id=str(member.pk))
    assert event.data["model"] == "members.member"


def test_a_key_issued_in_the_admin_is_shown_once_and_works(client: Client, isp: MemberKey) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/members/apikey/add/",
        {
            "member": isp.key.member_id,
            "label": "resolver",
            "scopes": ["urllist:read", "match:read"],
            "requests_per_minute": "120",
        },
        follow=True,
    )
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    (plaintext,) = [match for m in shown for match in KEY.findall(m)]
    key = ApiKey.objects.get(label="resolver")
    assert key.scopes == ["urllist:read", "match:read"]
    assert key.requests_per_minute == 120
    assert plaintext not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    event = AuditEvent.objects.get(action="members.key_issued", target_id=str(key.pk))
    assert event.actor.startswith("staff:")
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/urllist", headers=headers).status_code == 200
    # Shown once: the key's own page never shows it again.
    page = admin.get(f"/admin/members/apikey/{key.pk}/change/").content.decode()
    assert plaintext not in page
    assert key.prefix in page


def test_a_key_that_expired_already_is_refused_with_the_reason(
    client: Client, isp: MemberKey
) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/members/apikey/add/",
        {
            "member": isp.key.member_id,
            "scopes": ["urllist:read"],
            "expires_at_0": "2020-01-01",
            "expires_at_1": "00:00:00",
            "requests_per_minute": "60",
        },
    )
    assert response.status_code == 200
    assert "already past" in response.content.decode()
    assert ApiKey.objects.count() == 1  # only the fixture's


def test_keys_are_revoked_with_the_admin_action_never_edited(
    client: Client, isp: MemberKey
) -> None:
    admin = admin_client(client)
    response = admin.post(
        "/admin/members/apikey/",
        {"action": "revoke", "_selected_action": [isp.key.pk]},
    )
    assert response.status_code == 302
    isp.key.refresh_from_db()
    assert isp.key.revoked_at is not None
    assert AuditEvent.objects.filter(action="members.key_revoked").count() == 1
    assert client.get("/api/v1/urllist", headers=isp.header).status_code == 401
    assert admin.post(f"/admin/members/apikey/{isp.key.pk}/change/", {}).status_code == 403
    assert admin.post(f"/admin/members/apikey/{isp.key.pk}/delete/", {}).status_code == 403


def test_downloads_are_listed_read_only(client: Client, isp: MemberKey) -> None:
    record_download(key=isp.key, feed="urllist", feed_format="json", version=3)
    admin = admin_client(client)
    page = admin.get("/admin/members/feeddownload/").content.decode()
    assert "Example ISP" in page
    assert admin.get("/admin/members/feeddownload/add/").status_code == 403
    assert FeedDownload.objects.get().at <= timezone.now()
