"""`hotline urllist publish|public-key`: publish the full feeds now; print the public key."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hotline.audit.actions import SYSTEM
from hotline.urllist.actions import publish_url_list
from hotline.urllist.signing import public_key_pem


class Command(BaseCommand):
    help = "The URL list: publish (the full feeds, now), public-key (members verify with it)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "publish",
            help="publish the list as it stands in every format (the schedule does this at "
            "HOTLINE_URLLIST_PUBLISH_TIMES)",
        )
        sub.add_parser("public-key", help="print the Ed25519 public key (PEM) of the manifests")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "public-key":
            self.stdout.write(public_key_pem().decode("ascii"), ending="")
            return
        started = time.monotonic()
        snapshots = publish_url_list(actor=SYSTEM, progress=self.stdout.write)
        if snapshots:
            self.stdout.write(
                f"Published version {snapshots[0].version} in {time.monotonic() - started:.1f} s."
            )
