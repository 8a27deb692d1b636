"""Members and their API keys. Each action is one transaction with its audit event."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from hotline.audit.actions import SYSTEM, audited_action, member_actor, record_event
from hotline.members.keys import generate_key, secret_digest
from hotline.members.models import (
    DEFAULT_REQUESTS_PER_MINUTE,
    ApiKey,
    FeedDownload,
    Member,
    MemberKind,
    Scope,
)


class KeyNotIssued(ValueError):
    """The key asked for cannot be issued; the message says what to change."""


@audited_action
def create_member(
    *, name: str, kind: MemberKind, country: str = "", is_demo: bool = False, actor: str = SYSTEM
) -> Member:
    """Register a member organisation. Audits `members.member_created`."""
    member = Member.objects.create(name=name, kind=kind, country=country, is_demo=is_demo)
    record_event(
        actor=actor,
        action="members.member_created",
        target=member,
        data={"name": name, "kind": kind.value},
    )
    return member


def check_key_terms(
    *, scopes: list[Scope], expires_at: datetime | None, requests_per_minute: int
) -> None:
    """KeyNotIssued unless a key with these terms may be issued (the command line and the
    admin's form ask the same before they issue)."""
    if not scopes:
        raise KeyNotIssued("Give the key at least one scope (what it may download or do).")
    if expires_at is not None and expires_at <= timezone.now():
        raise KeyNotIssued(
            f"The expiry {expires_at:%Y-%m-%d %H:%M} is already past; give a date to come."
        )
    if requests_per_minute < 1:
        raise KeyNotIssued("A key needs a limit of at least 1 request a minute.")


@audited_action
def issue_api_key(
    *,
    member: Member,
    scopes: list[Scope],
    label: str = "",
    expires_at: datetime | None = None,
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
    actor: str = SYSTEM,
) -> tuple[ApiKey, str]:
    """Issue a key and return it with its plaintext, which is never stored or shown again.

    Refused (KeyNotIssued) without a scope, with an expiry already past, or with a rate limit
    under one request a minute. Audits `members.key_issued` with the prefix, scopes, expiry
    and limit (never the secret).
    """
    check_key_terms(scopes=scopes, expires_at=expires_at, requests_per_minute=requests_per_minute)
    new = generate_key()
    key = ApiKey.objects.create(
        member=member,
        label=label,
        prefix=new.prefix,
        secret_sha256=secret_digest(new.secret),
        scopes=[scope.value for scope in scopes],
        expires_at=expires_at,
        requests_per_minute=requests_per_minute,
    )
    record_event(
        actor=actor,
        action="members.key_issued",
        target=key,
        data={
            "member": member.pk,
            "prefix": new.prefix,
            "scopes": key.scopes,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "requests_per_minute": requests_per_minute,
        },
    )
    return key, new.plaintext


@audited_action
def revoke_api_key(*, key: ApiKey, actor: str = SYSTEM) -> ApiKey:
    """Revoke a key at once. Audits `members.key_revoked`. Revoking twice changes nothing."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record_event(
            actor=actor, action="members.key_revoked", target=key, data={"prefix": key.prefix}
        )
    return key


# Last use is kept to the minute: a busy key then costs one write a minute, not one a request
# (each write would lock the key's row against the key's other requests).
LAST_USED_PRECISION = timedelta(minutes=1)


def touch_api_key(key: ApiKey) -> None:
    """Note when a key was last used (bookkeeping, not a state change worth an audit event)."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION:
        return
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    ).update(last_used_at=now)


def record_download(
    *,
    key: ApiKey,
    feed: str,
    feed_format: str,
    version: int,
    since: int | None = None,
    not_modified: bool = False,
) -> None:
    """Note that `key`'s member downloaded `feed` (bookkeeping in the members' own table,
    FeedDownload, not an audit event: a download changes nothing)."""
    FeedDownload.objects.create(
        member_id=key.member_id,
        key=key,
        feed=feed,
        format=feed_format,
        version=version,
        since=since,
        not_modified=not_modified,
    )


__all__ = [
    "KeyNotIssued",
    "create_member",
    "issue_api_key",
    "member_actor",
    "record_download",
    "revoke_api_key",
    "touch_api_key",
]
