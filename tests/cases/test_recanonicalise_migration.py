"""Migrations cases 0004 and intake 0007 bring rows stored under the canonical form from before
tracking parameters were removed to the new form, where that collides with nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hotline.audit.chain import verify_chain
from hotline.audit.models import AuditEvent
from hotline.audit.sequencer import seal_pending_events
from hotline.cases.actions import open_or_attach_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.canonical import canonicalise_url
from hotline.core.hashing import url_digest
from hotline.intake.models import ReportItem
from hotline.portals.models import Portal
from hotline.urllist.history import entries_at, live_entries
from hotline.urllist.models import UrlListEntry, UrlListVersion

BEFORE = [
    ("cases", "0003_case_states_and_priority"),
    ("intake", "0006_report_verified"),
    ("urllist", "0002_category_codes_and_removal"),
]

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_apps(tn: Portal) -> Iterator[Any]:
    """The models as the release before wrote them; the test migrates forward itself."""
    migrate(BEFORE)
    try:
        yield MigrationExecutor(connection).loader.project_state(BEFORE).apps
    finally:
        migrate()  # the next test finds the schema whole, whatever happened here


def old_case(apps: Any, portal: Portal, url: str, **fields: Any) -> Any:
    """A case as the old canonicaliser keyed it: by the digest of the URL as stored."""
    model = apps.get_model("cases", "Case")
    return model.objects.create(
        canonical_url=url, url_sha256=url_digest(url), portal_id=portal.pk, **fields
    )


def old_entry(apps: Any, version: Any, url: str, case_id: int | None, **fields: Any) -> Any:
    model = apps.get_model("urllist", "UrlListEntry")
    return model.objects.create(
        url=url,
        url_sha256=url_digest(url),
        category="A",
        case_id=case_id,
        added_in=version,
        **fields,
    )


def test_a_case_with_tracking_parameters_takes_the_new_form_and_later_reports_find_it(
    old_apps: Any, tn: Portal
) -> None:
    confirmed = old_case(
        old_apps, tn, "http://site.test/p?utm_source=a", status="confirmed", category="A"
    )
    version = old_apps.get_model("urllist", "UrlListVersion").objects.create(number=1, added=1)
    old_entry(old_apps, version, "http://site.test/p?utm_source=a", confirmed.pk)
    plain = old_case(old_apps, tn, "http://plain.test/?id=2")
    migrate()

    case = Case.objects.get(pk=confirmed.pk)
    assert case.canonical_url == "http://site.test/p"
    assert case.url_sha256 == url_digest("http://site.test/p")
    assert Case.objects.get(pk=plain.pk).canonical_url == "http://plain.test/?id=2"
    # The point of it: a new report of the page, with other tags, is known content.
    again, opened = open_or_attach_case(
        canonical_url=canonicalise_url("http://site.test/p?utm_campaign=z&fbclid=1"),
        portal=tn,
        actor="public",
    )
    assert (again.pk, opened, again.status) == (confirmed.pk, False, CaseStatus.CONFIRMED)
    event = AuditEvent.objects.get(action="cases.case_recanonicalised")
    assert (event.target_id, event.portal, event.actor) == (str(case.pk), "tn", "system")
    assert seal_pending_events() > 0
    assert verify_chain().intact


def test_cases_that_now_share_a_form_are_left_and_named_in_the_log(
    old_apps: Any, tn: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    holder = old_case(old_apps, tn, "http://other.test/q?id=1")
    tagged = old_case(old_apps, tn, "http://other.test/q?id=1&fbclid=x")
    twin_a = old_case(old_apps, tn, "http://dup.test/r?utm_source=a")
    twin_b = old_case(old_apps, tn, "http://dup.test/r?gclid=b")
    with caplog.at_level(logging.INFO, logger="hotline.cases"):
        migrate()

    for old in (holder, tagged, twin_a, twin_b):
        case = Case.objects.get(pk=old.pk)
        assert (case.canonical_url, case.url_sha256) == (old.canonical_url, old.url_sha256)
    assert f"cases {holder.pk}, {tagged.pk} now share" in caplog.text
    assert f"cases {twin_a.pk}, {twin_b.pk} now share" in caplog.text
    assert "0 cases and 0 URL list entries brought" in caplog.text
    assert "4 cases and 0 entries left" not in caplog.text  # the holder never changed
    assert "3 cases and 0 entries left" in caplog.text
    assert "dup.test" not in caplog.text  # the log names rows, never the addresses
    assert not AuditEvent.objects.filter(action="cases.case_recanonicalised").exists()


def test_report_items_follow_their_case_and_waiting_ones_are_canonicalised_again(
    old_apps: Any, tn: Portal
) -> None:
    case = old_case(old_apps, tn, "http://site.test/p?utm_source=a")
    report = old_apps.get_model("intake", "Report").objects.create(
        reference="TN-TEST-0001", portal_id=tn.pk, language="fr"
    )
    item_model = old_apps.get_model("intake", "ReportItem")
    attached = item_model.objects.create(
        report=report,
        position=1,
        reported_url="site.test/p?utm_source=a#top",
        canonical_url="http://site.test/p?utm_source=a",
        case_id=case.pk,
    )
    waiting = item_model.objects.create(
        report=report,
        position=2,
        reported_url="http://site.test/p?utm_medium=x",
        canonical_url="http://site.test/p?utm_medium=x",
    )
    migrate()

    assert ReportItem.objects.get(pk=attached.pk).canonical_url == "http://site.test/p"
    item = ReportItem.objects.get(pk=waiting.pk)
    assert item.canonical_url == "http://site.test/p"
    assert item.reported_url == "http://site.test/p?utm_medium=x"  # what was reported stays


def test_a_listed_url_is_replaced_in_a_new_version_and_published_history_is_kept(
    old_apps: Any, tn: Portal
) -> None:
    case = old_case(old_apps, tn, "http://site.test/p?utm_source=a", status="confirmed")
    version_model = old_apps.get_model("urllist", "UrlListVersion")
    first = version_model.objects.create(number=1, added=2)
    listed = old_entry(old_apps, first, "http://site.test/p?utm_source=a", case.pk)
    gone = old_entry(
        old_apps,
        first,
        "http://gone.test/x?utm_source=a",
        None,
        removed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    migrate()

    assert [e.url for e in live_entries()] == ["http://site.test/p"]
    # The change log (urllist 0005) is rebuilt after this migration, so it holds its change:
    # version 1 and version 2 read from the log are what was listed then.
    assert [e.url for e in entries_at(1)] == ["http://site.test/p?utm_source=a"]
    assert entries_at(2) == live_entries()
    version = UrlListVersion.objects.get(number=2)
    assert (version.added, version.removed) == (1, 1)
    old = UrlListEntry.objects.get(pk=listed.pk)
    assert old.url == "http://site.test/p?utm_source=a"  # what version 1 published
    assert (old.removed_in, old.removal_reason) == (version, "canonical_form")
    new = UrlListEntry.objects.get(removed_at__isnull=True)
    assert (new.case_id, new.category, new.added_in) == (case.pk, "A", version)
    assert new.url_sha256 == url_digest("http://site.test/p")
    assert UrlListEntry.objects.get(pk=gone.pk).url == "http://gone.test/x?utm_source=a"
    event = AuditEvent.objects.get(action="urllist.entry_recanonicalised")
    assert event.target_id == str(new.pk)
    assert event.data == {
        "migration": "cases.0004",
        "replaces": old.pk,
        "version": 2,
        "category": "A",
    }


def test_listed_urls_that_now_share_a_form_stay_listed_as_they_were(
    old_apps: Any, tn: Portal
) -> None:
    version = old_apps.get_model("urllist", "UrlListVersion").objects.create(number=1, added=2)
    old_entry(old_apps, version, "http://other.test/q?id=1", None)
    old_entry(old_apps, version, "http://other.test/q?id=1&fbclid=x", None)
    migrate()

    assert sorted(e.url for e in live_entries()) == [
        "http://other.test/q?id=1",
        "http://other.test/q?id=1&fbclid=x",
    ]
    assert UrlListVersion.objects.get().number == 1
    assert entries_at(1) == live_entries()


def test_a_database_with_nothing_to_change_is_left_alone(old_apps: Any, tn: Portal) -> None:
    old_case(old_apps, tn, "http://plain.test/?id=2")
    migrate()
    assert not AuditEvent.objects.filter(action__endswith="_recanonicalised").exists()
    assert not UrlListVersion.objects.exists()
