"""The audit log is a hash chain: any edit or deletion is found, and named.

Events are appended without a lock and sealed into the chain by the sequencer; `write` does
both, as an action and `hotline worker` would."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import RequestFactory
from pytest_django.fixtures import Settings

from hotline.audit.actions import record_event
from hotline.audit.chain import entry_mac_of, link_hash_of, verify_chain
from hotline.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from hotline.audit.sequencer import seal_pending_events
from hotline.audit.tasks import verify_audit_chain


def append(n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                record_event(actor="system", action="test.thing_done", data={"i": i, "ü": "é"})
            )
    return events


def write(n: int) -> list[AuditEvent]:
    events = append(n)
    seal_pending_events()
    for event in events:
        event.refresh_from_db()
    return events


def verify_output() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_events_link_to_the_one_before(db: None) -> None:
    first, second, third = write(3)
    assert first.seq == 1 and first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert ChainHead.objects.get().last_hash == third.hash


def test_record_event_outside_a_transaction_is_refused(transactional_db: None) -> None:
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        record_event(actor="system", action="test.loose")


def test_event_rolled_back_with_its_action_leaves_no_gap(db: None) -> None:
    write(1)

    def doomed_action() -> None:
        with transaction.atomic():
            record_event(actor="system", action="test.doomed")
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        doomed_action()
    (after,) = write(1)
    assert after.seq == 2
    assert verify_chain().intact


def test_intact_chain_verifies(db: None) -> None:
    write(5)
    report = verify_chain()
    assert report.intact and report.events_checked == 5
    assert report.last_hash == AuditEvent.objects.get(seq=5).hash
    assert f"Audit chain intact: 5 events verified; the last one's hash is {report.last_hash}" in (
        verify_output()
    )


def test_empty_chain_is_intact(db: None) -> None:
    assert verify_chain().intact


def test_edited_data_is_found_at_that_event(db: None) -> None:
    write(5)
    AuditEvent.objects.filter(seq=3).update(data={"i": 99})
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 3
    assert "changed after it was written" in report.problem.message
    assert report.events_checked == 2


def test_edited_actor_through_raw_sql_is_found(db: None) -> None:
    write(4)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor = %s WHERE seq = %s", ["staff:666", 2])
    with pytest.raises(CommandError, match=r"BROKEN at event #2\b"):
        verify_output()


def test_rewritten_link_is_found(db: None) -> None:
    write(4)
    AuditEvent.objects.filter(seq=3).update(prev_hash="f" * 64)
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 3
    assert "does not follow event #2" in report.problem.message


def test_deleted_event_is_found_as_missing(db: None) -> None:
    write(5)
    AuditEvent.objects.filter(seq=3).delete()
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 3
    assert "event #3 is missing" in report.problem.message


def test_deleted_newest_event_is_found(db: None) -> None:
    write(5)
    AuditEvent.objects.filter(seq=5).delete()
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 5
    assert "ends at event #4 but 5 events were written" in report.problem.message


def test_recomputed_hashes_after_an_edit_still_break_at_the_next_event(db: None) -> None:
    # A forger who edits an event and recomputes its MAC and hash breaks the next link instead.
    write(4)
    event = AuditEvent.objects.get(seq=2)
    event.data = {"i": 42}
    event.entry_mac = entry_mac_of(event)
    event.hash = link_hash_of(event)
    AuditEvent.objects.filter(seq=2).update(
        data=event.data, entry_mac=event.entry_mac, hash=event.hash
    )
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 3


def test_periodic_task_reports_the_chain_state(db: None) -> None:
    write(3)
    last_hash = AuditEvent.objects.get(seq=3).hash
    assert verify_audit_chain.call() == {
        "intact": True,
        "checked": 3,
        "problem": "",
        "last_hash": last_hash,
    }
    AuditEvent.objects.filter(seq=1).update(action="test.other")
    result = verify_audit_chain.call()
    assert result["intact"] is False and "#1" in result["problem"]


def test_audit_admin_is_read_only(db: None) -> None:
    event = write(1)[0]
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/audit/auditevent/")
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, event) is False
    assert model_admin.has_delete_permission(request, event) is False


def test_forger_without_the_audit_key_cannot_reseal_the_chain(db: None, settings: Settings) -> None:
    # Someone with write access to the database, but not to the server's environment, edits
    # event #2 and recomputes every MAC and hash after it, and the head, under a key they chose.
    write(4)
    real_key = settings.HOTLINE_AUDIT_KEY
    settings.HOTLINE_AUDIT_KEY = "forger-guess"
    prev_hash = AuditEvent.objects.get(seq=1).hash or ""
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        if event.seq == 2:
            event.data = {"i": 42}
        event.prev_hash = prev_hash
        event.entry_mac = entry_mac_of(event)
        event.hash = link_hash_of(event)
        event.save()
        prev_hash = event.hash
    ChainHead.objects.filter(pk=1).update(last_hash=prev_hash)
    settings.HOTLINE_AUDIT_KEY = real_key
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 2
    assert "changed after it was written" in report.problem.message


def test_a_different_audit_key_is_named_as_such(db: None, settings: Settings) -> None:
    write(2)
    settings.HOTLINE_AUDIT_KEY = "another-key"
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 1
    assert "sealed with a different audit key" in report.problem.message


def test_events_newer_than_the_head_read_are_left_for_the_next_run(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # verify_chain reads the head first; an event committed after that is not a false alarm.
    from hotline.audit import chain

    write(3)
    head_before = ChainHead.objects.get(pk=1)
    write(1)
    reads = iter([head_before])
    real_read = chain._read_head
    monkeypatch.setattr(chain, "_read_head", lambda: next(reads, None) or real_read())
    report = verify_chain()
    assert report.intact and report.events_checked == 3


def test_head_wound_back_to_an_earlier_event_is_found(db: None) -> None:
    # Someone with database access deletes the newest events and points the head at the last
    # one kept: every remaining event still verifies, but the head's seal does not.
    write(5)
    kept = AuditEvent.objects.get(seq=3)
    AuditEvent.objects.filter(seq__gt=3).delete()
    ChainHead.objects.filter(pk=1).update(last_seq=3, last_hash=kept.hash)
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 4
    assert "chain head was altered" in report.problem.message


def test_head_reset_to_empty_is_found(db: None) -> None:
    write(3)
    AuditEvent.objects.filter(seq=2).update(data={"i": 99})
    ChainHead.objects.filter(pk=1).update(last_seq=0, last_hash=GENESIS_HASH, seal="")
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 1
    assert "events up to #3 exist but the chain head ends at #0" in report.problem.message


def test_deleted_head_is_found(db: None) -> None:
    write(2)
    ChainHead.objects.all().delete()
    report = verify_chain()
    assert report.problem is not None
    assert "chain head is missing" in report.problem.message


def test_head_with_a_replayed_seal_of_its_own_is_still_checked_against_newer_events(
    db: None,
) -> None:
    # An old, genuinely sealed head put back over a longer chain (the newer events left in
    # place) is caught by the events beyond it.
    write(2)
    old = ChainHead.objects.get(pk=1)
    write(2)
    ChainHead.objects.filter(pk=1).update(
        last_seq=old.last_seq, last_hash=old.last_hash, seal=old.seal
    )
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 3
    assert "wound back to hide the newer ones" in report.problem.message


def test_migration_seals_a_head_written_before_heads_were_sealed(db: None) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("hotline.audit.migrations.0004_chain_head_seal")
    write(3)
    ChainHead.objects.filter(pk=1).update(seal="")
    assert not verify_chain().intact
    migration.seal_the_head(apps, type("Editor", (), {"connection": connection})())
    assert verify_chain().intact


def test_an_event_waits_unsealed_until_the_sequencer_runs(db: None) -> None:
    (event,) = append(1)
    event.refresh_from_db()
    assert event.seq is None and event.hash is None and event.entry_mac
    report = verify_chain()
    assert report.intact and report.events_checked == 0 and report.unsealed == 1
    assert seal_pending_events() == 1
    event.refresh_from_db()
    assert event.seq == 1 and event.prev_hash == GENESIS_HASH
    assert verify_chain().events_checked == 1


def test_an_edit_is_found_before_the_event_is_sealed(db: None) -> None:
    write(2)
    (waiting,) = append(1)
    AuditEvent.objects.filter(pk=waiting.pk).update(actor="staff:666")
    report = verify_chain()
    assert report.problem is not None
    assert "waiting to be sealed" in report.problem.message
    # Sealing does not launder it: the link is computed over what the event says now.
    seal_pending_events()
    report = verify_chain()
    assert report.problem is not None and report.problem.seq == 3
    assert "changed after it was written" in report.problem.message


def test_sealing_in_small_batches_makes_one_chain(db: None) -> None:
    append(7)
    assert seal_pending_events(batch=3) == 7
    report = verify_chain()
    assert report.intact and report.events_checked == 7
    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == list(
        range(1, 8)
    )


def test_verify_command_seals_what_waits_first(db: None) -> None:
    append(3)
    assert "Audit chain intact: 3 events verified" in verify_output()
