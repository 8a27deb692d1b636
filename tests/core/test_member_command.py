"""`hotline member`: the command-line way to register members and manage their keys."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from hotline.members.models import ApiKey


def run(*args: str) -> str:
    out = StringIO()
    call_command("member", *args, stdout=out)
    return out.getvalue()


def test_add_issue_use_and_revoke_a_key(client: Client, db: None) -> None:
    assert "No members yet" in run("list")
    assert "Member Example ISP added." in run(
        "add", "Example ISP", "--kind", "isp", "--country", "tn"
    )
    key = run("key", "create", "Example ISP", "--scope", "urllist:read").splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/urllist", headers=headers).status_code == 200
    prefix = ApiKey.objects.get().prefix
    assert "active" in run("list")
    assert "revoked" in run("key", "revoke", prefix)
    assert client.get("/api/v1/urllist", headers=headers).status_code == 401


def test_mistakes_are_explained(db: None) -> None:
    with pytest.raises(CommandError, match="No member named 'Nobody'"):
        run("key", "create", "Nobody", "--scope", "urllist:read")
    run("add", "Example ISP", "--kind", "isp")
    with pytest.raises(CommandError, match="already exists"):
        run("add", "Example ISP", "--kind", "isp")
    with pytest.raises(CommandError, match="--expires must be a date"):
        run("key", "create", "Example ISP", "--scope", "urllist:read", "--expires", "tomorrow")
    with pytest.raises(CommandError, match="already past"):
        run("key", "create", "Example ISP", "--scope", "urllist:read", "--expires", "2020-01-01")
    with pytest.raises(CommandError, match="at least 1 request a minute"):
        run("key", "create", "Example ISP", "--scope", "urllist:read", "--per-minute", "0")
    with pytest.raises(CommandError, match="No key with prefix"):
        run("key", "revoke", "nope")


def test_a_key_that_has_expired_is_listed_as_expired(db: None) -> None:
    run("add", "Example ISP", "--kind", "isp")
    run("key", "create", "Example ISP", "--scope", "urllist:read", "--expires", "2099-01-01")
    assert "active until 2099-01-01" in run("key", "list", "Example ISP")
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert "expired" in run("list")


def test_key_list_shows_each_members_keys_with_scopes_and_limit(db: None) -> None:
    assert "No keys yet" in run("key", "list")
    run("add", "Example ISP", "--kind", "isp")
    run("add", "Search Co", "--kind", "search_engine")
    run("key", "create", "Example ISP", "--scope", "urllist:read", "--label", "resolver")
    run(
        "key", "create", "Search Co", "--scope", "urllist_hashed:read", "--scope", "match:read",
        "--per-minute", "600",
    )  # fmt: skip
    listing = run("key", "list")
    assert listing.index("Example ISP") < listing.index("Search Co")
    assert "scopes=urllist:read  60/min  resolver" in listing
    assert "scopes=urllist_hashed:read,match:read  600/min" in listing
    assert "Example ISP" not in run("key", "list", "Search Co")
