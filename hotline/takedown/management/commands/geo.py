"""`hotline geo install|lookup IP|status`: the offline IP to country and network database of
the hosting trace (hotline/takedown/geo.py).

`install` downloads two openly licensed packages from the npm registry (checked against the
registry's sha512 integrity) and builds the lookup file; `install --from DIR` builds it from
tarballs or CSV files already there, for hosts without internet access. Running it again is
harmless: nothing is done when the installed file is already built from the latest versions.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.takedown import geo


class Command(BaseCommand):
    help = "Install, query and describe the offline IP to country and network database."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        install = actions.add_parser("install", help="download the open data and build it")
        install.add_argument(
            "--from",
            dest="source",
            type=Path,
            help="build from the npm tarballs or CSV files in this directory (no download)",
        )
        install.add_argument(
            "--force", action="store_true", help="rebuild even when already up to date"
        )
        lookup = actions.add_parser("lookup", help="print the country and network of an IP")
        lookup.add_argument("ip")
        actions.add_parser("status", help="what is installed, from when, under which licences")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "install":
            self.install(options["source"], force=options["force"])
        elif action == "lookup":
            self.lookup(options["ip"])
        else:
            self.status()

    def install(self, source: Path | None, *, force: bool) -> None:
        progress = self.stdout.write
        if source is not None:
            if not source.is_dir():
                raise CommandError(f"--from {source}: not a directory")
            stats = geo.build_database(
                geo.database_path(), [source], origin=f"files in {source}", progress=progress
            )
            if not stats.country_ranges and not stats.asn_ranges:
                raise CommandError(
                    f"{source} holds no ip-location-db CSV (start,end,country or "
                    "start,end,asn,name), neither as files nor in .tgz tarballs"
                )
        else:
            try:
                geo.install(force=force, progress=progress)
            except (geo.InstallError, httpx.HTTPError) as error:
                raise CommandError(
                    f"download failed: {error}. Nothing was changed; on a host without "
                    "internet access, fetch the packages elsewhere (npm pack "
                    f"{' '.join(geo.PACKAGES)}) and run `hotline geo install --from DIR`."
                ) from None
        geo.reset()
        self.stdout.write(self.style.SUCCESS("The IP database is ready."))

    def lookup(self, ip: str) -> None:
        try:
            geo.ip_key(ip)
        except ValueError as error:
            raise CommandError(str(error)) from None
        found = geo.lookup(ip)
        asn = f"AS{found.asn}" if found.asn is not None else "-"
        self.stdout.write(f"{ip}\tcountry {found.country or '-'}\t{asn}\t{found.as_name}")

    def status(self) -> None:
        for name, path in (
            ("country", settings.HOTLINE_GEOIP_COUNTRY_MMDB),
            ("network", settings.HOTLINE_GEOIP_ASN_MMDB),
        ):
            if path:
                state = "present" if Path(path).exists() else "MISSING"
                self.stdout.write(f"{name}: MaxMind database {path} ({state})")
        info = geo.installed_info()
        if info:
            self.stdout.write(f"built database: {info['path']}")
            self.stdout.write(f"  built {info.get('built', '?')} from {info.get('origin', '?')}")
        else:
            self.stdout.write(
                f"built database: none at {geo.database_path()} (run `hotline geo install`)"
            )
        self.stdout.write("licences of the open data (attribution required for the second):")
        for package, licence in geo.LICENCES.items():
            self.stdout.write(f"  {package}: {licence}")
