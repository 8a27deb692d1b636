"""The change log: one row and one version per change; any version rebuilt from it; removed
entries re-activated; whole-domain entries as an analyst's separate decision."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.core.canonical import NotAWebAddress
from hotline.urllist.actions import add_domain_to_url_list, remove_domain_from_url_list
from hotline.urllist.history import ListedEntry, entries_at, live_entries
from hotline.urllist.models import UrlListChange, UrlListEntry, UrlListVersion
from tests.urllist.world import add, remove


def test_every_change_is_one_log_row_with_its_own_version(db: None) -> None:
    add("http://a.example/", "C")
    add("http://a.example/", "A")  # recategorised
    add("http://a.example/", "A")  # the same again: no change
    remove("http://a.example/")
    add("http://a.example/", "B")  # back: re-activated
    log = list(UrlListChange.objects.values_list("version", "change", "category", "reason"))
    assert log == [
        (1, "added", "C", ""),
        (2, "recategorised", "A", ""),
        (3, "removed", "A", "content removed"),
        (4, "reactivated", "B", ""),
    ]
    assert list(UrlListVersion.objects.order_by("number").values_list("number", flat=True)) == [
        1,
        2,
        3,
        4,
    ]


def test_a_removed_entry_whose_content_returns_is_reactivated_not_duplicated(db: None) -> None:
    first = add("http://back.example/", "C", case_id=7)
    remove("http://back.example/")
    again = add("http://back.example/", "A", case_id=9)
    assert again.pk == first.pk
    assert UrlListEntry.objects.count() == 1
    again.refresh_from_db()
    assert (again.removed_at, again.removal_reason, again.category) == (None, "", "A")
    assert again.case_id == 9
    event = AuditEvent.objects.get(action="urllist.entry_reactivated")
    assert event.data == {
        "version": 3,
        "category": "A",
        "removed_for": "content removed",
        "case_id": 9,
    }


def test_any_version_is_rebuilt_from_the_log_as_it_was_live(db: None) -> None:
    steps = [
        lambda: add("http://a.example/", "A"),
        lambda: add("http://b.example/", "B"),
        lambda: add("http://c.example/", "C"),
        lambda: add("http://b.example/", "A"),  # recategorised
        lambda: remove("http://a.example/"),
        lambda: add_domain_to_url_list(
            domain="Dedicated.EXAMPLE", category="A", case_id=1, actor="system"
        ),
        lambda: add("http://a.example/", "C"),  # re-activated
        lambda: remove("http://c.example/"),
        lambda: remove_domain_from_url_list(
            domain="dedicated.example", reason="site gone", actor="system"
        ),
        lambda: add("http://c.example/", "B"),  # re-activated in another category
    ]
    live: dict[int, list[ListedEntry]] = {0: []}
    for step in steps:
        step()
        latest = UrlListVersion.objects.order_by("-number").first()
        assert latest is not None
        live[latest.number] = live_entries()
    assert len(live) == len(steps) + 1, "each step was one version"
    for number, expected in live.items():
        assert entries_at(number) == expected, f"version {number}"
    assert [(e.url, e.category) for e in entries_at(4)] == [
        ("http://a.example/", "A"),
        ("http://b.example/", "A"),
        ("http://c.example/", "C"),
    ]


def test_a_domain_entry_is_the_canonical_domain_with_its_root_url(db: None) -> None:
    entry = add_domain_to_url_list(
        domain="Bücher.EXAMPLE.", category="A", case_id=3, actor="staff:1", portal="tn"
    )
    assert (entry.kind, entry.domain, entry.url) == (
        "domain",
        "xn--bcher-kva.example",
        "http://xn--bcher-kva.example/",
    )
    assert entry.case_id == 3
    event = AuditEvent.objects.get(action="urllist.entry_added")
    assert (event.actor, event.portal, event.data["kind"]) == ("staff:1", "tn", "domain")


def test_a_domain_entry_and_a_url_entry_for_its_root_are_two_entries(db: None) -> None:
    add("http://site.example/")
    add_domain_to_url_list(domain="site.example", category="A", case_id=1, actor="system")
    assert sorted(UrlListEntry.objects.values_list("kind", flat=True)) == ["domain", "url"]
    assert remove("http://site.example/")
    assert UrlListEntry.objects.get(removed_at__isnull=True).kind == "domain"


@pytest.mark.parametrize("text", ["http://site.example/page", "192.0.2.7", "not a domain", ""])
def test_a_domain_entry_needs_a_domain_name(db: None, text: str) -> None:
    with pytest.raises(NotAWebAddress):
        add_domain_to_url_list(domain=text, category="A", case_id=1, actor="system")
    assert not UrlListEntry.objects.exists()
