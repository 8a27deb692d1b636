"""Any version of the list, rebuilt from the change log."""

from __future__ import annotations

from typing import NamedTuple

from hotline.core.publication.store import replay_change_log
from hotline.urllist.models import ChangeKind, UrlListChange, UrlListEntry


class ListedEntry(NamedTuple):
    entry_id: int
    kind: str
    url: str
    category: str


def entries_at(version: int) -> list[ListedEntry]:
    """The entries on the list at `version`, by entry id: the replay of every change up to it.

    Exact for every version, because each change is logged with its version when it is made;
    an audit or a dispute ("was this URL listed on 3 March, and as what?") reads it here.
    """
    state = replay_change_log(UrlListChange, version=version, removed=ChangeKind.REMOVED)
    details = {
        pk: (kind, url)
        for pk, kind, url in UrlListEntry.objects.values_list("pk", "kind", "url").iterator()
        if pk in state
    }
    return [
        ListedEntry(pk, details[pk][0], details[pk][1], category)
        for pk, category in sorted(state.items())
    ]


def live_entries() -> list[ListedEntry]:
    """The entries on the list now, in the same form as `entries_at`."""
    return [
        ListedEntry(*row)
        for row in UrlListEntry.objects.filter(removed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "kind", "url", "category")
    ]
