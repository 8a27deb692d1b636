"""`hotline takedown recheck|summary|evidence-key`: re-check due content now, count open
work, print a new key for the evidence store."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count

from hotline.takedown.evidence import new_key
from hotline.takedown.models import Notice, Takedown


class Command(BaseCommand):
    help = "Notice and takedown: recheck (due content, now), summary, evidence-key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "recheck",
            help="re-check every takedown whose re-check is due, now (the worker does this "
            "every minute)",
        )
        sub.add_parser("summary", help="takedowns by status and notices by state")
        sub.add_parser(
            "evidence-key",
            help="print a new key for HOTLINE_EVIDENCE_KEY (turns the evidence store on)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "evidence-key":
            self.stdout.write(new_key())
            return
        if options["subcommand"] == "summary":
            for label, rows in (
                ("Takedowns", Takedown.objects.values_list("status").annotate(n=Count("pk"))),
                ("Notices", Notice.objects.values_list("state").annotate(n=Count("pk"))),
            ):
                counts = ", ".join(f"{name}: {n}" for name, n in sorted(rows)) or "none"
                self.stdout.write(f"{label}: {counts}")
            return
        from hotline.takedown.tasks import recheck_due

        started = time.monotonic()
        results = recheck_due()
        verdicts: dict[str, int] = {}
        for result in results.values():
            verdicts[result.verdict.value] = verdicts.get(result.verdict.value, 0) + 1
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(verdicts.items())) or "none was due"
        self.stdout.write(
            f"Re-checked {len(results)} in {time.monotonic() - started:.1f} s ({summary})."
        )
