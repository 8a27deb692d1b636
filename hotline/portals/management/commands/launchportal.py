"""`hotline launchportal FILE.toml`: create or update a country's portal from its launch file."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hotline.portals.actions import launch_portal
from hotline.portals.spec import PortalSpecError, load_portal_spec


class Command(BaseCommand):
    help = "Create or update a portal (and its partners) from a TOML launch file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="portal launch files (.toml)")

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["files"]:
            try:
                spec = load_portal_spec(path)
            except PortalSpecError as exc:
                raise CommandError(str(exc)) from None
            portal, created = launch_portal(spec)
            verb = "launched" if created else "up to date"
            langs = "/".join(portal.languages)
            self.stdout.write(
                f"Portal {portal.code} {verb}: /{portal.code}/{portal.default_language}/ ({langs})"
            )
