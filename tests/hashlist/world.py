"""Helpers for the hash list tests: hashes, a licensed member, publish, download."""

from __future__ import annotations

import hashlib
from typing import Any

from django.test import Client

from hotline.hashlist.actions import Added, NewHash, add_hashes, publish_hash_list
from hotline.hashlist.models import HashSource
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import MemberKind, Scope
from tests.conftest import MemberKey
from tests.urllist.world import Download

URL = "/api/v1/hashlist"


def md5(n: int) -> str:
    return hashlib.md5(f"image {n}".encode(), usedforsecurity=False).hexdigest()


def pdq(n: int) -> str:
    return hashlib.sha256(f"picture {n}".encode()).hexdigest()


def add(*hashes: tuple[str, str], category: str = "B", case_id: int | None = None) -> Added:
    """Add (signal type, value) pairs in one action."""
    return add_hashes(
        entries=[NewHash(kind, value, category, case_id=case_id) for kind, value in hashes],
        source=HashSource.SENIOR_PASTE,
        actor="system",
    )


def publish() -> int:
    snapshots = publish_hash_list(actor="system")
    return snapshots[0].version if snapshots else -1


def licensed_member(scopes: list[Scope] | None = None, name: str = "Platform Co") -> MemberKey:
    member = create_member(name=name, kind=MemberKind.PLATFORM)
    return MemberKey(*issue_api_key(member=member, scopes=scopes or [Scope.HASHLIST_READ]))


def download(
    client: Client, key: MemberKey | None, *, method: str = "get", path: str = URL, **params: Any
) -> Download:
    headers = dict(key.header) if key else {}
    if "etag" in params:
        headers["If-None-Match"] = params.pop("etag")
    response = getattr(client, method)(path, params, headers=headers)
    body = response.getvalue() if getattr(response, "streaming", False) else response.content
    return Download(response, body)
