"""`hotline stats rebuild [--portal CODE]`: recompute the figures from the cases."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hotline.audit.actions import SYSTEM
from hotline.portals.models import Portal
from hotline.stats.actions import rebuild_figures
from hotline.stats.models import DailyFigure


class Command(BaseCommand):
    help = "The partner figures: rebuild (recompute every rollup from the cases)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        rebuild = sub.add_parser(
            "rebuild",
            help="recompute the figures from the reports, cases, assessments and takedowns, "
            "in one transaction (the actions keep them up to date; this mends them after a "
            "restore or an upgrade)",
        )
        rebuild.add_argument("--portal", metavar="CODE", help="only this portal's figures")

    def handle(self, *args: Any, **options: Any) -> None:
        portal = None
        if options.get("portal"):
            portal = Portal.objects.filter(code=options["portal"]).first()
            if portal is None:
                codes = ", ".join(Portal.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"No portal {options['portal']!r}; the portals are: {codes}.")
        started = time.monotonic()
        rows = rebuild_figures(actor=SYSTEM, portal=portal, progress=self.stdout.write)
        which = f" of portal {portal.code}" if portal else ""
        seconds = time.monotonic() - started
        self.stdout.write(f"Rebuilt {rows:,} figure rows{which} in {seconds:.1f} s.")
        if connection.vendor == "postgresql":
            # A table rewritten at once keeps its old statistics until autovacuum comes round,
            # and the planner meanwhile reads the dashboard's days the slow way (measured:
            # 354 ms instead of about 300 for a month view at a million cases).
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(DailyFigure._meta.db_table)
                cursor.execute(f"ANALYZE {table}")
            self.stdout.write("Statistics of the figures table refreshed (ANALYZE).")
