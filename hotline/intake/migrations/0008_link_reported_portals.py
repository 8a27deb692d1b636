"""Each case is seen on every portal it was reported on (cases.CasePortal): add the portals of
the reports already attached, besides the one that opened the case (cases 0004 added those)."""

from django.db import migrations


def link_reported_portals(apps, schema_editor):
    ReportItem = apps.get_model("intake", "ReportItem")
    Case = apps.get_model("cases", "Case")
    CasePortal = apps.get_model("cases", "CasePortal")
    pairs = (
        ReportItem.objects.filter(case__isnull=False)
        .values_list("case_id", "report__portal_id")
        .distinct()
        .order_by("case_id")
    )
    batch: list[tuple[int, int]] = []

    def flush() -> None:
        fields = ("pk", "status", "has_verified_report", "queue_at", "opened_at")
        cases = {
            row[0]: row
            for row in Case.objects.filter(pk__in={c for c, _ in batch}).values_list(*fields)
        }
        CasePortal.objects.bulk_create(
            [
                CasePortal(
                    case_id=case_id,
                    portal_id=portal_id,
                    status=cases[case_id][1],
                    has_verified_report=cases[case_id][2],
                    queue_at=cases[case_id][3],
                    opened_at=cases[case_id][4],
                )
                for case_id, portal_id in batch
            ],
            ignore_conflicts=True,
        )
        batch.clear()

    for pair in pairs.iterator(chunk_size=5000):
        batch.append(pair)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0007_items_in_the_new_canonical_form"),
        ("cases", "0005_case_portals"),
    ]

    operations = [migrations.RunPython(link_reported_portals, migrations.RunPython.noop)]
