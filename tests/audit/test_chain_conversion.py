"""Migration 0005 converts a chain written under the locked design, but only one that verifies."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hotline.audit.chain import head_seal, verify_chain

BEFORE = ("audit", "0004_chain_head_seal")
AFTER = ("audit", "0005_unlocked_appends")
conversion = importlib.import_module("hotline.audit.migrations.0005_unlocked_appends")

pytestmark = pytest.mark.django_db(transaction=True)


def write_old_chain(events: int) -> None:
    """Events as the previous release wrote them: seq, link and hash in one HMAC."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "ChainHead")
    prev = "0" * 64
    for seq in range(1, events + 1):
        event = event_model(
            seq=seq,
            occurred_at=datetime(2026, 11, 1, 12, seq, tzinfo=UTC),
            actor="system",
            action="test.old",
            data={"n": seq},
            prev_hash=prev,
        )
        event.hash = conversion._old_event_hash(event)
        event.save()
        prev = event.hash
    head_model.objects.update_or_create(
        pk=1, defaults={"last_seq": events, "last_hash": prev, "seal": head_seal(events, prev)}
    )


def migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_intact_old_chain_is_converted_and_verifies() -> None:
    write_old_chain(4)
    migrate_forward()
    report = verify_chain()
    assert report.intact and report.events_checked == 4


def test_an_old_chain_that_was_tampered_with_is_not_laundered() -> None:
    write_old_chain(3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor = 'staff:666' WHERE seq = 2")
    with pytest.raises(RuntimeError, match="does not verify at event #2"):
        migrate_forward()
    with connection.cursor() as cursor:  # leave a database the next test can flush
        cursor.execute("DELETE FROM audit_auditevent")
    migrate_forward()
