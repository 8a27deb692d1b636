"""`hotline audit verify`: check that the audit log's hash chain is intact."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.audit.chain import verify_chain
from hotline.audit.sequencer import seal_pending_events


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` checks the hash chain and names the first broken event."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "verify",
            help="Seal the events waiting for the sequencer, then check every event's MAC and "
            "link; exit 1 when broken.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            seal_pending_events()
            report = verify_chain()
            if report.problem is not None:
                raise CommandError(
                    f"Audit chain BROKEN at event #{report.problem.seq}: {report.problem.message}. "
                    f"{report.events_checked} events before it are intact."
                )
            self.stdout.write(
                f"Audit chain intact: {report.events_checked} events verified; the last one's "
                f"hash is {report.last_hash} (keep it: a later run must reach past it)."
            )
