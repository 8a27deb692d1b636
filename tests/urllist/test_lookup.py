"""`check(url)`: is an address on the URL list now, and by which entry.

The lookup canonicalises as the list does; URL entries match their URL, domain entries their
domain and every subdomain; removed entries never match. Each process answers from an index in
memory that follows the list's version, and confirms every hit in the database.
"""

from __future__ import annotations

import pytest

from hotline.core.hashing import url_digest
from hotline.urllist import lookup
from hotline.urllist.actions import add_domain_to_url_list, remove_domain_from_url_list
from hotline.urllist.lookup import Match, NotAWebAddress, check, reset_index
from tests.urllist.world import add, remove

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_check_sees_the_list_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # A process looks at the list's version at most once a second; these tests change the
    # list between checks, so they look every time (test_a_process_looks_at_most_... below).
    monkeypatch.setattr(lookup, "REFRESH_SECONDS", 0.0)


def add_domain(domain: str, category: str = "A") -> int:
    entry = add_domain_to_url_list(domain=domain, category=category, case_id=1, actor="system")
    return entry.pk


def test_a_listed_url_matches_in_any_spelling_of_it() -> None:
    entry = add("http://listed.example/gallery/1", category="B")
    expected = Match(entry_id=entry.pk, category="B", kind="url", domain="")
    assert check("http://listed.example/gallery/1") == expected
    assert check("HTTP://Listed.Example.:80/gallery/./1?utm_source=x#top") == expected
    assert check("listed.example/gallery/1") == expected


def test_a_url_entry_matches_that_url_only() -> None:
    add("http://listed.example/gallery/1")
    assert check("http://listed.example/gallery/2") is None
    assert check("http://listed.example/") is None
    assert check("https://listed.example/gallery/1") is None
    assert check("http://www.listed.example/gallery/1") is None


def test_a_domain_entry_matches_the_domain_and_every_subdomain() -> None:
    pk = add_domain("Abuse.Test", category="A")
    expected = Match(entry_id=pk, category="A", kind="domain", domain="abuse.test")
    for url in (
        "http://abuse.test/",
        "https://abuse.test/any/page?q=1",
        "http://www.abuse.test/x",
        "http://a.b.c.abuse.test:8080/deep",
    ):
        assert check(url) == expected, url


def test_a_domain_matches_at_label_boundaries_only() -> None:
    add_domain("abuse.test")
    assert check("http://notabuse.test/") is None
    assert check("http://abuse.test.example/") is None
    assert check("http://abuse-test.example/") is None


def test_a_url_entry_wins_over_a_domain_entry_and_a_nearer_domain_over_a_farther() -> None:
    far = add_domain("abuse.test", category="A")
    near = add_domain("www.abuse.test", category="B")
    url = add("http://www.abuse.test/one", category="C")
    assert check("http://www.abuse.test/one") == Match(url.pk, "C", "url", "")
    assert check("http://x.www.abuse.test/") == Match(near, "B", "domain", "www.abuse.test")
    assert check("http://other.abuse.test/") == Match(far, "A", "domain", "abuse.test")


def test_removed_entries_do_not_match() -> None:
    add("http://gone.example/page")
    add_domain("gone.test")
    assert check("http://gone.example/page") is not None
    assert check("http://www.gone.test/") is not None
    remove("http://gone.example/page")
    remove_domain_from_url_list(domain="gone.test", reason="content removed", actor="system")
    assert check("http://gone.example/page") is None
    assert check("http://www.gone.test/") is None


def test_a_reactivated_entry_matches_again_with_its_new_category() -> None:
    entry = add("http://back.example/page", category="C")
    remove("http://back.example/page")
    assert check("http://back.example/page") is None
    add("http://back.example/page", category="A")
    assert check("http://back.example/page") == Match(entry.pk, "A", "url", "")


def test_a_recategorised_entry_answers_its_new_category() -> None:
    entry = add("http://recat.example/", category="C")
    assert check("http://recat.example/") == Match(entry.pk, "C", "url", "")
    add("http://recat.example/", category="A")
    assert check("http://recat.example/") == Match(entry.pk, "A", "url", "")


def test_an_unlisted_address_is_answered_without_the_database(
    django_assert_num_queries: object,
) -> None:
    add("http://listed.example/")
    add_domain("abuse.test")
    check("http://warm-up.example/")  # builds the index
    lookup.REFRESH_SECONDS = 3600.0  # restored by the fixture's monkeypatch
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert check("http://unlisted.example/") is None
        assert check("http://notabuse.test/") is None
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert check("http://listed.example/") is not None
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert check("http://www.abuse.test/") is not None


def test_the_index_follows_changes_made_by_another_process() -> None:
    check("http://warm-up.example/")
    built = lookup._index
    # Another process adds entries: this one sees the new version and patches its index.
    add("http://new.example/page")
    add_domain("new.test")
    assert check("http://new.example/page") is not None
    assert check("http://sub.new.test/") is not None
    assert lookup._index is built  # patched from the change log, not built again


def test_a_new_process_builds_the_index_from_the_list() -> None:
    add("http://listed.example/")
    add_domain("abuse.test")
    reset_index()
    assert check("http://listed.example/") is not None
    assert check("http://www.abuse.test/") is not None
    assert check("http://unlisted.example/") is None


def test_a_process_looks_at_the_lists_version_at_most_once_a_refresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lookup, "REFRESH_SECONDS", 1.0)
    clock = [1000.0]
    monkeypatch.setattr(lookup.time, "monotonic", lambda: clock[0])
    assert check("http://late.example/") is None
    add("http://late.example/")
    # Within the second, this process has not looked again: the entry is not seen yet...
    clock[0] += 0.5
    assert check("http://late.example/") is None
    # ...and once it has passed, it is.
    clock[0] += 0.6
    assert check("http://late.example/") is not None


def test_many_removals_build_the_index_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lookup, "MAX_PATCHED", 1)
    add("http://one.example/")
    add("http://two.example/")
    check("http://warm-up.example/")
    built = lookup._index
    remove("http://one.example/")
    remove("http://two.example/")
    assert check("http://two.example/") is None
    assert lookup._index is not built
    assert len(lookup._index.built) == 0
    assert not lookup._index.has(lookup.prefix(url_digest("http://two.example/")))


def test_a_prefix_collision_is_confirmed_in_the_database_and_answers_no(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every address's prefix the same: an unlisted address looks listed to the index.
    monkeypatch.setattr(lookup, "prefix", lambda digest: 42)
    add("http://listed.example/")
    assert check("http://listed.example/") is not None
    assert lookup._index.has(42)
    assert check("http://collides.example/") is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("javascript:alert(1)", "only http and https"),
        ("ftp://files.example/x", "only http and https"),
        ("http://exa mple.test/", "spaces"),
        ("http://-bad-.example/", "not a valid host name"),
        ("http://" + "a" * 2100 + ".example/", "longer than"),
    ],
)
def test_text_that_is_not_a_web_address_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(NotAWebAddress, match=reason):
        check(text)
