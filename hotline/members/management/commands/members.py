"""`hotline members ...`: register members and manage their API keys from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hotline.members.actions import create_member, issue_api_key, revoke_api_key
from hotline.members.models import ApiKey, Member, MemberKind, Scope


class Command(BaseCommand):
    help = "Members and API keys: add, list, issue-key, revoke-key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="register a member organisation")
        add.add_argument("name")
        add.add_argument("--kind", choices=MemberKind.values, required=True)
        add.add_argument("--country", default="", help="ISO 3166 code, e.g. TN")
        sub.add_parser("list", help="members and their keys (prefixes only)")
        issue = sub.add_parser("issue-key", help="issue an API key; it is printed once")
        issue.add_argument("name", help="the member's name")
        issue.add_argument("--scope", action="append", choices=Scope.values, required=True)
        issue.add_argument("--expires", help="last day the key works, YYYY-MM-DD")
        issue.add_argument("--label", default="")
        revoke = sub.add_parser("revoke-key", help="revoke a key at once")
        revoke.add_argument("prefix", help="the key's prefix (the part after hlk_)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["subcommand"].replace("-", "_"))(options)

    def do_add(self, options: dict[str, Any]) -> None:
        if Member.objects.filter(name=options["name"]).exists():
            raise CommandError(f"A member named {options['name']!r} already exists.")
        member = create_member(
            name=options["name"],
            kind=MemberKind(options["kind"]),
            country=options["country"].upper(),
        )
        self.stdout.write(f"Member {member.name} added.")

    def do_list(self, options: dict[str, Any]) -> None:
        members = Member.objects.prefetch_related("api_keys")
        if not members:
            self.stdout.write("No members yet. Add one with: hotline members add NAME --kind isp")
        for member in members:
            self.stdout.write(f"{member.name} ({member.kind}{', demo' if member.is_demo else ''})")
            for key in member.api_keys.all():
                state = "revoked" if key.revoked_at else "expired" if key.is_expired() else "active"
                self.stdout.write(f"  hlk_{key.prefix}_…  {state}  scopes={','.join(key.scopes)}")

    def do_issue_key(self, options: dict[str, Any]) -> None:
        member = Member.objects.filter(name=options["name"]).first()
        if member is None:
            raise CommandError(f"No member named {options['name']!r}; see `hotline members list`.")
        expires_at = None
        if options["expires"]:
            try:
                day = datetime.strptime(options["expires"], "%Y-%m-%d").date()
            except ValueError:
                raise CommandError("--expires must be a date like 2027-06-30.") from None
            expires_at = timezone.make_aware(datetime.combine(day, time.max))
        _, plaintext = issue_api_key(
            member=member,
            scopes=[Scope(s) for s in options["scope"]],
            label=options["label"],
            expires_at=expires_at,
        )
        self.stdout.write("API key (shown once, store it now):")
        self.stdout.write(plaintext)

    def do_revoke_key(self, options: dict[str, Any]) -> None:
        key = ApiKey.objects.filter(prefix=options["prefix"].removeprefix("hlk_")).first()
        if key is None:
            raise CommandError(
                f"No key with prefix {options['prefix']!r}; see `hotline members list`."
            )
        revoke_api_key(key=key)
        self.stdout.write(f"Key hlk_{key.prefix}_… revoked.")
