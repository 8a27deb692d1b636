"""Changing and publishing the URL list. Each action is one transaction with its audit events."""

from __future__ import annotations

from django.db.models import Max

from hotline.audit.actions import audited_action, record_event
from hotline.core.classification import Category
from hotline.core.hashing import url_digest
from hotline.urllist.models import UrlListEntry, UrlListVersion


def _next_version(*, added: int = 0, removed: int = 0) -> UrlListVersion:
    # Callers hold the transaction; the unique number makes a concurrent publish fail loudly
    # rather than share a version.
    current = UrlListVersion.objects.aggregate(n=Max("number"))["n"] or 0
    return UrlListVersion.objects.create(number=current + 1, added=added, removed=removed)


@audited_action
def add_to_url_list(
    *, url: str, category: Category, case_id: int | None, actor: str, portal: str = ""
) -> UrlListEntry:
    """Put a confirmed URL on the list and publish a new version with it.

    A URL already on the list keeps its entry (its category is raised to the new assessment's
    if that differs) rather than appearing twice. Audits `urllist.entry_added` with the
    version, or `urllist.entry_recategorised`.
    """
    digest = url_digest(url)
    existing = (
        UrlListEntry.objects.select_for_update()
        .filter(url_sha256=digest, removed_at__isnull=True)
        .first()
    )
    if existing is not None:
        if existing.category != category.value:
            previous = existing.category
            existing.category = category.value
            existing.save(update_fields=["category"])
            record_event(
                actor=actor,
                action="urllist.entry_recategorised",
                target=existing,
                portal=portal,
                data={"from": previous, "to": category.value},
            )
        return existing
    version = _next_version(added=1)
    entry = UrlListEntry.objects.create(
        url=url, url_sha256=digest, category=category.value, case_id=case_id, added_in=version
    )
    record_event(
        actor=actor,
        action="urllist.entry_added",
        target=entry,
        portal=portal,
        data={"version": version.number, "category": category.value},
    )
    return entry


@audited_action
def record_feed_download(*, actor: str, feed_format: str, version: int, entries: int) -> None:
    """Audit that a member downloaded the list (`urllist.feed_downloaded`)."""
    record_event(
        actor=actor,
        action="urllist.feed_downloaded",
        data={"format": feed_format, "version": version, "entries": entries},
    )
