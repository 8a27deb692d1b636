"""Report items follow their cases to the canonical form without tracking parameters (cases
0003), so an item and its case name one URL as they did before.

An attached item takes its case's canonical URL (which cases 0004 rewrote, or left because of a
collision). An item still waiting for the worker is canonicalised again, so that it attaches to
the case of the new form rather than opening one in the old. Only items with a query can
change. Nothing is undone on the way back: the earlier code reads the new forms as they are.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from hotline.core.canonical import NotAWebAddress, canonicalise_url


def follow_the_cases(apps: Any, schema_editor: Any) -> None:
    alias = schema_editor.connection.alias
    items = apps.get_model("intake", "ReportItem").objects.using(alias)
    changed = []
    for item in (
        items.filter(canonical_url__contains="?")
        .select_related("case")
        .only("pk", "canonical_url", "case__canonical_url")
        .iterator(2000)
    ):
        if item.case is not None:
            new = item.case.canonical_url
        else:
            try:
                new = canonicalise_url(item.canonical_url)
            except NotAWebAddress:
                continue  # it attaches under the form it was filed with, as before
        if new != item.canonical_url:
            item.canonical_url = new
            changed.append(item)
    items.bulk_update(changed, ["canonical_url"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0006_report_verified"),
        ("cases", "0004_recanonicalise_tracking_parameters"),
    ]

    operations = [
        migrations.RunPython(follow_the_cases, migrations.RunPython.noop),
    ]
