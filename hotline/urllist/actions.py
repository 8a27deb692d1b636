"""Changing and publishing the URL list. Each action is one transaction with its audit events.

Every change to an entry writes exactly one `UrlListChange` row and takes the next version
number, so members see it at once through `?since=` and `entries_at(version)` can rebuild any
version. The full feeds change only when `publish_url_list()` publishes a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Max
from django.utils import timezone

from hotline.audit.actions import audited_action, record_event
from hotline.core.canonical import NotAWebAddress, canonicalise_domain, is_public_suffix
from hotline.core.effects import enqueue_after_commit
from hotline.core.hashing import url_digest
from hotline.urllist.models import (
    ChangeKind,
    EntryKind,
    UrlListChange,
    UrlListEntry,
    UrlListSnapshot,
    UrlListVersion,
)
from hotline.urllist.tasks import publish_url_list_task


def _next_version(*, added: int = 0, removed: int = 0, recategorised: int = 0) -> UrlListVersion:
    # Callers hold the transaction; the unique number makes a concurrent change fail loudly
    # rather than share a version. Every change that alters any feed's bytes takes one: the
    # version is in the feeds' ETags, so a member holding the old one would otherwise get 304
    # and keep what changed.
    current = UrlListVersion.objects.aggregate(n=Max("number"))["n"] or 0
    return UrlListVersion.objects.create(
        number=current + 1, added=added, removed=removed, recategorised=recategorised
    )


def _log(
    entry: UrlListEntry, change: ChangeKind, version: UrlListVersion, reason: str = ""
) -> None:
    UrlListChange.objects.create(
        version=version.number,
        entry=entry,
        change=change,
        category=entry.category,
        reason=reason,
        at=timezone.now(),
    )


def domain_entry_url(domain: str) -> str:
    """The `url` a domain entry carries in the feeds: the root of the (canonical) domain."""
    return f"http://{domain}/"


def _put(
    *,
    kind: EntryKind,
    url: str,
    domain: str,
    category: str,
    case_id: int | None,
    actor: str,
    portal: str,
) -> UrlListEntry:
    digest = url_digest(url)
    entries = UrlListEntry.objects.select_for_update().filter(url_sha256=digest, kind=kind)
    existing = entries.filter(removed_at__isnull=True).first()
    if existing is not None:
        if existing.category != category:
            version = _next_version(recategorised=1)
            previous = existing.category
            existing.category = category
            existing.save(update_fields=["category"])
            _log(existing, ChangeKind.RECATEGORISED, version)
            record_event(
                actor=actor,
                action="urllist.entry_recategorised",
                target=existing,
                portal=portal,
                data={"version": version.number, "from": previous, "to": category},
            )
        return existing
    removed = entries.order_by("-pk").first()
    version = _next_version(added=1)
    if removed is not None:
        # Its content is back: the same entry returns, so its history stays in one place.
        reason = removed.removal_reason
        removed.category = category
        removed.removed_at = None
        removed.removed_in = None
        removed.removal_reason = ""
        if case_id is not None:
            removed.case_id = case_id
        removed.save(
            update_fields=["category", "removed_at", "removed_in", "removal_reason", "case_id"]
        )
        _log(removed, ChangeKind.REACTIVATED, version)
        record_event(
            actor=actor,
            action="urllist.entry_reactivated",
            target=removed,
            portal=portal,
            data={
                "version": version.number,
                "category": category,
                "removed_for": reason,
                "case_id": case_id,
            },
        )
        return removed
    entry = UrlListEntry.objects.create(
        kind=kind,
        url=url,
        url_sha256=digest,
        domain=domain,
        category=category,
        case_id=case_id,
        added_in=version,
    )
    _log(entry, ChangeKind.ADDED, version)
    record_event(
        actor=actor,
        action="urllist.entry_added",
        target=entry,
        portal=portal,
        data={"version": version.number, "category": category, "kind": kind.value},
    )
    return entry


@audited_action
def add_to_url_list(
    *, url: str, category: str, case_id: int | None, actor: str, portal: str = ""
) -> UrlListEntry:
    """Put a confirmed (canonical) URL on the list, as a new version.

    A URL already on the list keeps its entry rather than appearing twice; if the new
    assessment's category differs, the entry takes it in a new version (with the same category
    nothing changes). A URL removed earlier whose content is back gets its old entry
    re-activated. Audits `urllist.entry_added`, `urllist.entry_recategorised` or
    `urllist.entry_reactivated`, each with the version.
    """
    return _put(
        kind=EntryKind.URL,
        url=url,
        domain="",
        category=category,
        case_id=case_id,
        actor=actor,
        portal=portal,
    )


@audited_action
def add_domain_to_url_list(
    *, domain: str, category: str, case_id: int, actor: str, portal: str = ""
) -> UrlListEntry:
    """List a whole domain (and its subdomains): an analyst's decision that the site is
    dedicated to abuse, taken on case `case_id`. Never automatic: no outcome calls this.

    `domain` is canonicalised (punycode, lower case; NotAWebAddress if it is not a domain
    name, or if it is a public suffix such as "co.uk" or "github.io", under which unrelated
    owners have their sites). Otherwise as `add_to_url_list`, and audited the same way with
    `kind` "domain".
    """
    canonical = canonicalise_domain(domain)
    if is_public_suffix(canonical):
        raise NotAWebAddress(
            f"'{canonical}' is a public suffix, shared by unrelated sites: list the site's own "
            "domain instead"
        )
    return _put(
        kind=EntryKind.DOMAIN,
        url=domain_entry_url(canonical),
        domain=canonical,
        category=category,
        case_id=case_id,
        actor=actor,
        portal=portal,
    )


def _remove(entry: UrlListEntry | None, *, reason: str, actor: str, portal: str) -> bool:
    if entry is None:
        return False
    version = _next_version(removed=1)
    entry.removed_at = timezone.now()
    entry.removed_in = version
    entry.removal_reason = reason
    entry.save(update_fields=["removed_at", "removed_in", "removal_reason"])
    _log(entry, ChangeKind.REMOVED, version, reason)
    record_event(
        actor=actor,
        action="urllist.entry_removed",
        target=entry,
        portal=portal,
        data={"version": version.number, "reason": reason},
    )
    return True


@audited_action
def remove_from_url_list(*, url: str, reason: str, actor: str, portal: str = "") -> bool:
    """Take a URL off the list in a new version; False if it was not on.

    For content that is gone, or an assessment overturned on appeal or corrected: members
    drop it at once through `?since=`, and from the full feeds at the next publication.
    Audits `urllist.entry_removed` with the version and reason.
    """
    entry = (
        UrlListEntry.objects.select_for_update()
        .filter(url_sha256=url_digest(url), kind=EntryKind.URL, removed_at__isnull=True)
        .first()
    )
    return _remove(entry, reason=reason, actor=actor, portal=portal)


@audited_action
def remove_domain_from_url_list(*, domain: str, reason: str, actor: str, portal: str = "") -> bool:
    """Take a domain entry off the list in a new version; False if it was not on.
    Audits `urllist.entry_removed` with the version and reason."""
    url = domain_entry_url(canonicalise_domain(domain))
    entry = (
        UrlListEntry.objects.select_for_update()
        .filter(url_sha256=url_digest(url), kind=EntryKind.DOMAIN, removed_at__isnull=True)
        .first()
    )
    return _remove(entry, reason=reason, actor=actor, portal=portal)


@audited_action
def publish_url_list(
    *, actor: str, progress: Callable[[str], None] | None = None
) -> list[UrlListSnapshot]:
    """Publish the list as it stands: every full format rendered once from one consistent read,
    stored in chunks with its size, SHA-256 and signed manifest (hotline/urllist/snapshots.py).

    The full feeds serve these snapshots until the next publication; older snapshots but the
    previous one are deleted (a member may still be downloading it). Formats already published
    at this version are not rendered again; with nothing new, nothing is written or audited.
    Audits `urllist.published` with the version, the formats and their sizes.
    """
    from hotline.urllist.snapshots import prune_snapshots, render_snapshots

    snapshots = render_snapshots(progress=progress)
    if not snapshots:
        return []
    version = snapshots[0].version
    prune_snapshots(keep_from=version)
    record_event(
        actor=actor,
        action="urllist.published",
        target=snapshots[0],
        data={
            "version": version,
            "count": snapshots[0].count,
            "formats": {s.format: s.size for s in snapshots},
        },
    )
    return snapshots


@audited_action
def request_url_list_publication(*, actor: str) -> None:
    """Ask for the full feeds to be published now rather than at the next scheduled time: the
    worker runs `publish_url_list` (a million entries take tens of seconds, too long for a web
    request) once this commits. Audits `urllist.publication_requested` with who asked."""
    record_event(actor=actor, action="urllist.publication_requested")
    enqueue_after_commit(publish_url_list_task)
