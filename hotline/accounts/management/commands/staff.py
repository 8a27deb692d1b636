"""`hotline staff ...`: staff accounts, their roles per portal and their second factors.

Authenticator keys and recovery codes are shown here, once, to the person setting up the
account; the admin never shows them (OTP_ADMIN_HIDE_SENSITIVE_DATA, and only hashes of
recovery codes are kept), so no administrator can copy a colleague's codes.
"""

from __future__ import annotations

from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts.actions import (
    create_staff_user,
    forget_connection_throttles,
    generate_password,
    grant_portal_roles,
    issue_recovery_codes,
    reset_mfa,
    unlock_sign_in,
)
from hotline.accounts.models import RecoveryCode, Role, StaffUser
from hotline.accounts.throttle import ACCOUNT, account_state

EPILOG = """\
examples:
  hotline staff add dalia --portal tn --role analyst
  hotline staff add root --superuser             the Django admin (instead of createsuperuser)
  hotline staff grant dalia --portal ma --role senior_analyst
  hotline staff reset-mfa dalia                  a new authenticator for a lost phone
  hotline staff recovery-codes dalia             10 new one-use codes (the old ones stop working)
  hotline staff unlock dalia [--connections]     forget refused sign-ins (see README: sign-in)
  hotline staff list
"""


class Command(BaseCommand):
    help = (
        "Staff accounts: add, grant, reset-mfa, recovery-codes, unlock, list.\n\n"
        "Every change is an audited action; passwords, authenticator keys and recovery codes "
        "are printed once and never kept in the clear."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        parser.epilog = EPILOG
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser(
            "add",
            help="create an account: prints a generated password, the authenticator and "
            "recovery codes, once",
        )
        add.add_argument("username")
        add.add_argument("--email", default="")
        add.add_argument("--portal", action="append", default=[], help="portal code; repeatable")
        add.add_argument("--role", choices=Role.values, default=Role.ANALYST.value)
        add.add_argument(
            "--superuser",
            action="store_true",
            help="may use the Django admin (/admin/); replaces `hotline createsuperuser`",
        )
        grant = sub.add_parser("grant", help="give an account a role on portals")
        grant.add_argument("username")
        grant.add_argument("--portal", action="append", required=True, help="repeatable")
        grant.add_argument("--role", choices=Role.values, required=True)
        reset = sub.add_parser("reset-mfa", help="replace an account's authenticator (lost phone)")
        reset.add_argument("username")
        codes = sub.add_parser(
            "recovery-codes",
            help="print 10 new one-use recovery codes for an account (the old ones stop working)",
        )
        codes.add_argument("username")
        unlock = sub.add_parser(
            "unlock", help="forget the refused sign-ins counted against an account"
        )
        unlock.add_argument("username")
        unlock.add_argument(
            "--connections",
            action="store_true",
            help="also forget every connection's refused sign-ins (a shared office address "
            "held back by someone else's guesses)",
        )
        sub.add_parser(
            "list", help="accounts, their roles, MFA, recovery codes left, refused sign-ins"
        )

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

    def _show_recovery_codes(self, codes: list[str]) -> None:
        self.stdout.write(
            "Recovery codes (shown once; each signs in once instead of the authenticator code; "
            "keep them apart from the phone):"
        )
        for code in codes:
            self.stdout.write(f"  {code}")

    def do_add(self, options: dict[str, Any]) -> None:
        username = options["username"]
        if StaffUser.objects.filter(username=username).exists():
            raise CommandError(f"A staff account named {username!r} already exists.")
        self._check_portals(options["portal"])
        # Generated to pass the password rules, which create_staff_user applies to every
        # password it is given.
        password = generate_password(username=username, email=options["email"])
        with transaction.atomic():
            user = create_staff_user(
                username=username,
                password=password,
                email=options["email"],
                superuser=options["superuser"],
            )
            grant_portal_roles(
                user=user, portal_codes=options["portal"], role=Role(options["role"])
            )
            device = reset_mfa(user=user)
            codes = issue_recovery_codes(user=user)
        kind = "Superuser" if options["superuser"] else "Staff account"
        self.stdout.write(f"{kind} {username} created.")
        self.stdout.write(f"Password (shown once): {password}")
        self._show_authenticator(device)
        self._show_recovery_codes(codes)

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

    def do_recovery_codes(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        codes = issue_recovery_codes(user=user)
        self.stdout.write(f"{user.username}'s earlier recovery codes no longer work.")
        self._show_recovery_codes(codes)

    def do_unlock(self, options: dict[str, Any]) -> None:
        user = self._user(options["username"])
        if options["connections"]:
            cleared = forget_connection_throttles()
            self.stdout.write(f"Refused sign-ins of {cleared} connection(s) forgotten.")
        state = account_state(user)
        if state.failures == 0:
            self.stdout.write(f"{user.username} has no refused sign-ins counted; nothing to do.")
            return
        unlock_sign_in(user=user)
        self.stdout.write(
            f"{state.failures} refused sign-in(s) against {user.username} forgotten. If they "
            "did not make them, someone is guessing at the account: see the "
            "accounts.sign_in_refused events in the audit log."
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
            codes = RecoveryCode.objects.filter(device__user=user).count()
            state = account_state(user)
            flags = "".join(
                [
                    ", superuser" if user.is_superuser else "",
                    ", inactive" if not user.is_active else "",
                    ", demo" if user.is_demo else "",
                    f", {codes} recovery codes" if codes else ", no recovery codes",
                    f", {state.failures} recent refused sign-ins" if state.failures else "",
                    ", UNDER ATTACK (every failing connection waits)"
                    if state.failures > ACCOUNT.free_failures
                    else "",
                ]
            )
            self.stdout.write(f"{user.username}  {roles}  {mfa}{flags}")
