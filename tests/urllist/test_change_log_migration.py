"""Migration urllist 0005 rebuilds the change log of the rows written before it existed, so
`entries_at` holds for the old versions too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hotline.core.hashing import url_digest
from hotline.urllist.history import entries_at, live_entries
from hotline.urllist.models import UrlListChange

BEFORE = [("urllist", "0003_version_recategorised"), ("audit", "0005_unlocked_appends")]

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.fixture
def old_apps() -> Iterator[Any]:
    migrate(BEFORE)
    try:
        yield MigrationExecutor(connection).loader.project_state(BEFORE).apps
    finally:
        migrate()


def test_additions_recategorisations_and_removals_are_logged_in_their_versions(
    old_apps: Any,
) -> None:
    versions = old_apps.get_model("urllist", "UrlListVersion").objects
    entries = old_apps.get_model("urllist", "UrlListEntry").objects
    v1, v2, v3, v4 = (versions.create(number=n) for n in range(1, 5))
    kept = entries.create(
        url="http://kept.example/", url_sha256=url_digest("http://kept.example/"),
        category="A", added_in=v1,
    )  # fmt: skip
    entries.create(
        url="http://gone.example/", url_sha256=url_digest("http://gone.example/"),
        category="B", added_in=v2, removed_in=v4, removal_reason="content removed",
        removed_at=datetime(2026, 11, 20, tzinfo=UTC),
    )  # fmt: skip
    # kept was C when added, and recategorised to A in version 3: only the audit log says so.
    old_apps.get_model("audit", "AuditEvent").objects.create(
        occurred_at=datetime(2026, 11, 19, tzinfo=UTC),
        actor="system",
        action="urllist.entry_recategorised",
        target_type="urllist.urllistentry",
        target_id=str(kept.pk),
        data={"version": v3.number, "from": "C", "to": "A"},
    )
    migrate()

    assert list(UrlListChange.objects.values_list("version", "change", "category")) == [
        (1, "added", "C"),
        (2, "added", "B"),
        (3, "recategorised", "A"),
        (4, "removed", "B"),
    ]
    assert [(e.url, e.category) for e in entries_at(2)] == [
        ("http://kept.example/", "C"),
        ("http://gone.example/", "B"),
    ]
    assert [(e.url, e.category) for e in entries_at(3)] == [
        ("http://kept.example/", "A"),
        ("http://gone.example/", "B"),
    ]
    assert entries_at(4) == live_entries()
