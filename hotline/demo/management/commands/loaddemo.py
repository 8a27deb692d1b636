"""`hotline loaddemo`: the demo portals, analyst and member (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from hotline.audit.actions import SYSTEM
from hotline.core.env import env_str
from hotline.demo.loader import DEMO_PORTALS, load_demo
from hotline.urllist.actions import publish_url_list


class Command(BaseCommand):
    help = (
        "Load the demo portals (tn, ma), a demo analyst and a demo member, and publish the URL "
        "list. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        credentials = load_demo()
        # The full feeds serve published snapshots only: publish once, so the demo member's
        # first download holds what the demo has (the schedule takes over from here).
        published = publish_url_list(actor=SYSTEM)
        if published:
            self.stdout.write(f"URL list published: version {published[0].version}.")
        # The address `hotline serve` will answer on (HOTLINE_BIND, as it reads it).
        bind = env_str("HOTLINE_BIND", "127.0.0.1:8000")
        host, _, port = bind.rpartition(":")
        if host in ("0.0.0.0", "", "[::]"):  # noqa: S104 (reading the setting, not binding)
            host = "127.0.0.1"
        base = f"http://{host}:{port}"
        self.stdout.write(f"Reporting portals: {base}/")
        for code in DEMO_PORTALS:
            self.stdout.write(f"Portal {code}: {base}/{code}/")
        if credentials is None:
            self.stdout.write(
                "Demo accounts already exist; their secrets were printed when they were created. "
                "For new ones, start from an empty database (delete var/hotline.sqlite3)."
            )
            return
        self.stdout.write(f"Demo analyst (sign in at {base}/staff/):")
        self.stdout.write(f"  username: {credentials.username}")
        self.stdout.write(f"  password: {credentials.password}")
        self.stdout.write(f"  TOTP: {credentials.otpauth_uri}")
        partner = credentials.partner
        self.stdout.write(f"Demo partner viewer (the figures at {base}/staff/figures/):")
        self.stdout.write(f"  username: {partner.username}")
        self.stdout.write(f"  password: {partner.password}")
        self.stdout.write(f"  TOTP: {partner.otpauth_uri}")
        self.stdout.write(f"Demo member API key: {credentials.api_key}")
        if not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
            self.stdout.write(
                self.style.WARNING("HOTLINE_DEBUG is off: these demo accounts will be refused.")
            )
