"""`hotline staff ...`: staff accounts, their roles per portal and their authenticators.

Authenticator keys are shown here, once, to the person setting up the account; the admin never
shows them (OTP_ADMIN_HIDE_SENSITIVE_DATA), so no administrator can copy a colleague's codes.
"""

from __future__ import annotations

import secrets
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts.access import sign_in_locked
from hotline.accounts.actions import (
    create_staff_user,
    grant_portal_roles,
    reset_mfa,
    unlock_sign_in,
)
from hotline.accounts.models import Role, StaffUser


class Command(BaseCommand):
    help = "Staff accounts: add, grant, reset-mfa, unlock, list."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser(
            "add", help="create an account with a generated password and an authenticator"
        )
        add.add_argument("username")
        add.add_argument("--email", default="")
        add.add_argument("--portal", action="append", default=[], help="portal code; repeatable")
        add.add_argument("--role", choices=Role.values, default=Role.ANALYST.value)
        grant = sub.add_parser("grant", help="give an account a role on portals")
        grant.add_argument("username")
        grant.add_argument("--portal", action="append", required=True, help="repeatable")
        grant.add_argument("--role", choices=Role.values, required=True)
        reset = sub.add_parser("reset-mfa", help="replace an account's authenticator (lost phone)")
        reset.add_argument("username")
        unlock = sub.add_parser(
            "unlock", help="lift a sign-in lock after too many refused attempts"
        )
        unlock.add_argument("username")
        sub.add_parser("list", help="accounts, their roles and whether MFA is set up")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "do_" + options["subcommand"].replace("-", "_"))(options)

    def _user(self, username: str) -> StaffUser:
        user = StaffUser.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No staff account named {username!r}; see `hotline staff list`.")
        return user

    def _check_portals(self, codes: list[str]) -> None:
        from django.apps import apps

        known = set(apps.get_model("portals", "Portal").objects.values_list("code", flat=True))
        unknown = sorted(set(codes) - known)
        if unknown:
            raise CommandError(
                f"No portal {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}."
            )

    def _show_authenticator(self, device: TOTPDevice) -> None:
        self.stdout.write("Authenticator (shown once; add it to the person's app now):")
        self.stdout.write(device.config_url)

    def do_add(self, options: dict[str, Any]) -> None:
        username = options["username"]
        if StaffUser.objects.filter(username=username).exists():
            raise CommandError(f"A staff account named {username!r} already exists.")
        self._check_portals(options["portal"])
        password = secrets.token_urlsafe(18)
        with transaction.atomic():
            user = create_staff_user(username=username, password=password, email=options["email"])
            grant_portal_roles(
                user=user, portal_codes=options["portal"], role=Role(options["role"])
            )
            device = reset_mfa(user=user)
        self.stdout.write(f"Staff account {username} created.")
        self.stdout.write(f"Password (shown once): {password}")
        self._show_authenticator(device)

    def do_grant(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        self._check_portals(options["portal"])
        grant_portal_roles(user=user, portal_codes=options["portal"], role=Role(options["role"]))
        self.stdout.write(
            f"{user.username} is {options['role']} on {', '.join(sorted(options['portal']))}."
        )

    def do_reset_mfa(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        device = reset_mfa(user=user)
        self.stdout.write(f"{user.username}'s old authenticators no longer work.")
        self._show_authenticator(device)

    def do_unlock(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        if not sign_in_locked(user.username):
            self.stdout.write(f"{user.username} is not locked; nothing to do.")
            return
        unlock_sign_in(user=user)
        self.stdout.write(
            f"{user.username} can sign in again. If they did not cause the refusals, someone "
            "is guessing at the account: see the accounts.sign_in_refused events in the audit log."
        )

    def do_list(self, options: dict[str, Any]) -> None:
        users = StaffUser.objects.prefetch_related("portal_roles__portal").order_by("username")
        if not users:
            self.stdout.write(
                "No staff accounts yet. Add one with: hotline staff add NAME --portal tn"
            )
        for user in users:
            roles = (
                ", ".join(sorted(f"{r.role}@{r.portal.code}" for r in user.portal_roles.all()))
                or "no roles"
            )
            mfa = "MFA set up" if TOTPDevice.objects.filter(user=user).exists() else "NO MFA"
            flags = "".join(
                [
                    ", inactive" if not user.is_active else "",
                    ", demo" if user.is_demo else "",
                    ", LOCKED (staff unlock)" if sign_in_locked(user.username) else "",
                ]
            )
            self.stdout.write(f"{user.username}  {roles}  {mfa}{flags}")
