"""`hotline createsuperuser` is refused: `hotline staff add NAME --superuser` does it, audited."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refused: use `hotline staff add NAME --superuser` (audited, with MFA)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        # Whatever Django's own command took, so that the answer is always the pointer below
        # rather than an argument error.
        parser.add_argument("ignored", nargs="*")
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--noinput", "--no-input", action="store_true")
        parser.add_argument("--database")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "hotline createsuperuser is not used here: a superuser made that way would leave "
            "no audit event and have no authenticator, so could not sign in. Use\n"
            "  hotline staff add NAME --superuser [--email ADDRESS]\n"
            "which prints a generated password, the authenticator and recovery codes once."
        )
