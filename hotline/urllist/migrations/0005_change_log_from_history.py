"""Rebuild the change log from the rows and audit events written before it existed.

Each entry gives an `added` change at its `added_in` version and, if removed, a `removed` one
at its `removed_in` version (its `added_in` one if it has none); each `urllist.entry_recategorised` audit event gives a
`recategorised` change at its version. An entry's first category is the `from` of its first
recategorisation (or its category now). So `entries_at(version)` holds for the old versions too.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def build_change_log(apps: Any, schema_editor: Any) -> None:
    alias = schema_editor.connection.alias
    entries = apps.get_model("urllist", "UrlListEntry").objects.using(alias)
    changes = apps.get_model("urllist", "UrlListChange").objects.using(alias)
    events = apps.get_model("audit", "AuditEvent").objects.using(alias)
    recategorised: dict[int, list[Any]] = {}
    for event in events.filter(action="urllist.entry_recategorised").order_by("pk"):
        if event.target_id.isdigit():
            recategorised.setdefault(int(event.target_id), []).append(event)
    rows = []
    for entry in entries.select_related("added_in", "removed_in").order_by("pk"):
        history = recategorised.get(entry.pk, [])
        first = history[0].data.get("from", entry.category) if history else entry.category
        rows.append(
            changes.model(
                version=entry.added_in.number,
                entry=entry,
                change="added",
                category=first,
                at=entry.added_at,
            )
        )
        for event in history:
            rows.append(
                changes.model(
                    version=event.data.get("version", entry.added_in.number),
                    entry=entry,
                    change="recategorised",
                    category=event.data.get("to", entry.category),
                    at=event.occurred_at,
                )
            )
        if entry.removed_at is not None:
            # An entry removed without a version (before versions recorded removals) left
            # in the version that added it, as far as anyone can tell now.
            removed_in = entry.removed_in or entry.added_in
            rows.append(
                changes.model(
                    version=removed_in.number,
                    entry=entry,
                    change="removed",
                    category=entry.category,
                    reason=entry.removal_reason,
                    at=entry.removed_at,
                )
            )
    rows.sort(key=lambda row: row.version)  # stable: each entry's own changes stay in order
    changes.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("urllist", "0004_change_log_and_snapshots"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(build_change_log, migrations.RunPython.noop)]
