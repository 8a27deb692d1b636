"""`hotline portal launch FILE.toml [--dry-run]`, `hotline portal list`, `hotline portal status`."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, transaction
from django.urls import reverse

from hotline.audit.actions import SYSTEM
from hotline.portals.actions import (
    LaunchResult,
    PortalConflict,
    launch_portal,
    set_portal_status,
)
from hotline.portals.models import Portal, PortalStatus
from hotline.portals.spec import PortalSpecError, load_portal_spec


class Command(BaseCommand):
    help = "Launch a portal from its TOML file, list the portals, or change a portal's status."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True, parser_class=CommandParser)
        launch = commands.add_parser(
            "launch", help="create or update portals from launch files (all or nothing per file)"
        )
        launch.add_argument("files", nargs="+", type=Path, help="portal launch files (.toml)")
        launch.add_argument(
            "--dry-run", action="store_true", help="check the files and print what would change"
        )
        commands.add_parser("list", help="every portal with its status, languages and address")
        status = commands.add_parser(
            "status", help="take a portal live, back to draft, or suspend it"
        )
        status.add_argument("code")
        status.add_argument("status", choices=PortalStatus.values)

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["command"]
        if command == "launch":
            self.launch(options["files"], dry_run=options["dry_run"])
        elif command == "list":
            self.list()
        else:
            portal = Portal.objects.filter(code=options["code"]).first()
            if portal is None:
                raise CommandError(
                    f"no portal has the code {options['code']!r} (see `hotline portal list`)"
                )
            set_portal_status(portal=portal, status=PortalStatus(options["status"]), actor=SYSTEM)
            self.stdout.write(f"Portal {portal.code} is now {options['status']}.")

    def launch(self, files: list[Path], *, dry_run: bool) -> None:
        # Every file is read and checked before any is applied: one bad file applies none.
        specs = []
        for path in files:
            if path.is_dir():
                raise CommandError(f"{path} is a folder; name the files, e.g. {path}/*.toml")
            try:
                specs.append(load_portal_spec(path))
            except PortalSpecError as exc:
                raise CommandError(str(exc)) from None
        report: list[str] = []
        try:
            # One transaction for all the files: a clash found in the last applies none.
            with transaction.atomic():
                for spec in specs:
                    try:
                        result = launch_portal(spec, dry_run=dry_run)
                    except PortalConflict as exc:
                        raise CommandError(f"portal {spec.code}: {exc}") from None
                    report += self.describe(spec.code, spec.status, result, dry_run=dry_run)
        except DatabaseError as exc:
            raise CommandError(
                f"the database is not ready ({exc}); run `hotline migrate` first"
            ) from None
        for line in report:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")

    def describe(self, code: str, status: str, result: LaunchResult, *, dry_run: bool) -> list[str]:
        address = reverse("portals:portal", kwargs={"portal_code": code})
        if not result.changes:
            return [f"Portal {code} is up to date: {address} ({status})"]
        if dry_run:
            verb = "would be created" if result.created else "would change"
        else:
            verb = "launched" if result.created else "updated"
        return [f"Portal {code} {verb}: {address} ({status})"] + [
            f"  - {change}" for change in result.changes
        ]

    def list(self) -> None:
        portals = Portal.objects.order_by("code")
        if not portals:
            self.stdout.write("No portals yet. Launch one with `hotline portal launch FILE.toml`.")
        for portal in portals:
            address = reverse("portals:portal", kwargs={"portal_code": portal.code})
            self.stdout.write(
                f"{portal.code:<8} {portal.status:<10} {','.join(portal.languages):<12} "
                f"{address:<10} {portal.name_in('en')}"
            )
