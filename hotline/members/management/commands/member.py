"""`hotline member ...`: member organisations and their API keys, from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hotline.members.actions import KeyNotIssued, create_member, issue_api_key, revoke_api_key
from hotline.members.models import DEFAULT_REQUESTS_PER_MINUTE, ApiKey, Member, MemberKind, Scope


def key_state(key: ApiKey) -> str:
    if key.revoked_at:
        return f"revoked {key.revoked_at:%Y-%m-%d}"
    if key.is_expired():
        return "expired"
    return f"active until {key.expires_at:%Y-%m-%d}" if key.expires_at else "active"


class Command(BaseCommand):
    help = "Member organisations and their API keys: add, list, key create, key revoke, key list."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add", help="register a member organisation")
        add.add_argument("name")
        add.add_argument("--kind", choices=MemberKind.values, required=True)
        add.add_argument("--country", default="", help="ISO 3166 code, e.g. TN")
        sub.add_parser("list", help="members and their keys (prefixes only)")
        key = sub.add_parser("key", help="API keys: create, revoke, list")
        keys = key.add_subparsers(dest="key_command", required=True)
        create = keys.add_parser("create", help="issue an API key; it is printed once")
        create.add_argument("name", help="the member's name")
        create.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            required=True,
            help="a list or use the key is licensed for; repeat for several",
        )
        create.add_argument("--expires", help="last day the key works, YYYY-MM-DD")
        create.add_argument("--label", default="", help="e.g. which system uses the key")
        create.add_argument(
            "--per-minute",
            type=int,
            default=DEFAULT_REQUESTS_PER_MINUTE,
            help=f"requests a minute before 429 (default {DEFAULT_REQUESTS_PER_MINUTE})",
        )
        revoke = keys.add_parser("revoke", help="revoke a key at once")
        revoke.add_argument("prefix", help="the key's prefix (the part after hlk_)")
        listing = keys.add_parser("list", help="keys, of one member or all")
        listing.add_argument("name", nargs="?", help="the member's name")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["subcommand"]
        if name == "key":
            name = f"key_{options['key_command']}"
        getattr(self, f"do_{name}")(options)

    def _member(self, name: str) -> Member:
        member = Member.objects.filter(name=name).first()
        if member is None:
            raise CommandError(f"No member named {name!r}; see `hotline member list`.")
        return member

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
            self.stdout.write("No members yet. Add one with: hotline member add NAME --kind isp")
        for member in members:
            self.stdout.write(f"{member.name} ({member.kind}{', demo' if member.is_demo else ''})")
            self._write_keys(member.api_keys.all())

    def _write_keys(self, keys: Any) -> None:
        for key in keys:
            self.stdout.write(
                f"  hlk_{key.prefix}_…  {key_state(key)}  scopes={','.join(key.scopes)}  "
                f"{key.requests_per_minute}/min{f'  {key.label}' if key.label else ''}"
            )

    def do_key_create(self, options: dict[str, Any]) -> None:
        member = self._member(options["name"])
        expires_at = None
        if options["expires"]:
            try:
                day = datetime.strptime(options["expires"], "%Y-%m-%d").date()
            except ValueError:
                raise CommandError("--expires must be a date like 2027-06-30.") from None
            expires_at = timezone.make_aware(datetime.combine(day, time.max))
        try:
            _, plaintext = issue_api_key(
                member=member,
                scopes=[Scope(s) for s in options["scope"]],
                label=options["label"],
                expires_at=expires_at,
                requests_per_minute=options["per_minute"],
            )
        except KeyNotIssued as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("API key (shown once, store it now):")
        self.stdout.write(plaintext)

    def do_key_revoke(self, options: dict[str, Any]) -> None:
        key = ApiKey.objects.filter(prefix=options["prefix"].removeprefix("hlk_")).first()
        if key is None:
            raise CommandError(
                f"No key with prefix {options['prefix']!r}; see `hotline member key list`."
            )
        revoke_api_key(key=key)
        self.stdout.write(f"Key hlk_{key.prefix}_… revoked.")

    def do_key_list(self, options: dict[str, Any]) -> None:
        keys = ApiKey.objects.select_related("member").order_by("member__name", "-created_at")
        if options["name"]:
            keys = keys.filter(member=self._member(options["name"]))
        if not keys:
            self.stdout.write(
                "No keys yet. Issue one with: hotline member key create NAME --scope urllist:read"
            )
        member = None
        for key in keys:
            if key.member != member:
                member = key.member
                self.stdout.write(member.name)
            self._write_keys([key])
