"""`hotline members`: the command-line way to register members and manage their keys."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from hotline.members.models import ApiKey


def run(*args: str) -> str:
    out = StringIO()
    call_command("members", *args, stdout=out)
    return out.getvalue()


def test_add_issue_use_and_revoke_a_key(client: Client, db: None) -> None:
    assert "No members yet" in run("list")
    assert "Member Example ISP added." in run(
        "add", "Example ISP", "--kind", "isp", "--country", "tn"
    )
    key = run("issue-key", "Example ISP", "--scope", "urllist:read").splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/urllist", headers=headers).status_code == 200
    prefix = ApiKey.objects.get().prefix
    assert "active" in run("list")
    assert "revoked" in run("revoke-key", prefix)
    assert client.get("/api/v1/urllist", headers=headers).status_code == 401


def test_mistakes_are_explained(db: None) -> None:
    with pytest.raises(CommandError, match="No member named 'Nobody'"):
        run("issue-key", "Nobody", "--scope", "urllist:read")
    run("add", "Example ISP", "--kind", "isp")
    with pytest.raises(CommandError, match="already exists"):
        run("add", "Example ISP", "--kind", "isp")
    with pytest.raises(CommandError, match="--expires must be a date"):
        run("issue-key", "Example ISP", "--scope", "urllist:read", "--expires", "tomorrow")
    with pytest.raises(CommandError, match="No key with prefix"):
        run("revoke-key", "nope")


def test_expired_key_is_listed_as_expired(db: None) -> None:
    run("add", "Example ISP", "--kind", "isp")
    run("issue-key", "Example ISP", "--scope", "urllist:read", "--expires", "2020-01-01")
    assert "expired" in run("list")
