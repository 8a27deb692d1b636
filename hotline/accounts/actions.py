"""State changes of staff accounts. Each runs in one transaction with its audit event."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.accounts import throttle
from hotline.accounts.models import (
    AccountThrottle,
    ClientThrottle,
    PortalRole,
    RecoveryCode,
    RecoveryCodeSet,
    Role,
    SignInThrottle,
    StaffUser,
)
from hotline.audit.actions import SYSTEM, audited_action, record_event, staff_actor

RECOVERY_CODES = 10
# 31 symbols that cannot be mistaken for one another (no 0/o, 1/l/i), 16 of them a code:
# about 79 bits, typed as four groups of four.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def generate_password(*, username: str, email: str = "") -> str:
    """A random password that passes AUTH_PASSWORD_VALIDATORS for this account.

    Random text can, rarely, share enough letters with the name to be judged "too similar"
    (it happened to a demo account), so draw again until the rules accept it.
    """
    user = StaffUser(username=username, email=email)
    while True:
        password = secrets.token_urlsafe(18)
        try:
            validate_password(password, user=user)
        except ValidationError:
            continue
        return password


@audited_action
def create_staff_user(
    *,
    username: str,
    password: str,
    email: str = "",
    is_demo: bool = False,
    superuser: bool = False,
    actor: str = SYSTEM,
) -> StaffUser:
    """Create a staff account (no roles yet). Audits `accounts.staff_created`.

    The password must pass AUTH_PASSWORD_VALIDATORS (length, common passwords, likeness to
    the name); a weak one raises django's ValidationError and nothing is created. A
    `superuser` may use the Django admin (`hotline staff add NAME --superuser`).
    """
    validate_password(password, user=StaffUser(username=username, email=email))
    user = StaffUser.objects.create_user(
        username=username,
        password=password,
        email=email,
        is_staff=superuser,
        is_superuser=superuser,
        is_demo=is_demo,
    )
    record_event(
        actor=actor,
        action="accounts.staff_created",
        target=user,
        data={"username": username, "demo": is_demo, "superuser": superuser},
    )
    return user


@audited_action
def grant_portal_roles(
    *, user: StaffUser, portal_codes: Iterable[str], role: Role, actor: str = SYSTEM
) -> list[PortalRole]:
    """Give `user` a role on each portal. Audits `accounts.role_granted` per portal."""
    from django.apps import apps

    portal_model = apps.get_model("portals", "Portal")  # a lower layer, looked up by name
    granted = []
    for portal in portal_model.objects.filter(code__in=list(portal_codes)):
        grant, created = PortalRole.objects.get_or_create(user=user, portal=portal, role=role)
        if created:
            record_event(
                actor=actor,
                action="accounts.role_granted",
                target=user,
                portal=portal.code,
                data={"role": role.value},
            )
        granted.append(grant)
    return granted


@audited_action
def revoke_portal_role(*, grant: PortalRole, actor: str = SYSTEM) -> None:
    """Take one role on one portal away from its holder. Audits `accounts.role_revoked`."""
    record_event(
        actor=actor,
        action="accounts.role_revoked",
        target=grant.user,
        portal=grant.portal.code,
        data={"role": grant.role},
    )
    grant.delete()


@audited_action
def add_totp_device(
    *, user: StaffUser, name: str = "authenticator", actor: str = SYSTEM
) -> TOTPDevice:
    """Enrol a TOTP authenticator for `user`. Audits `accounts.mfa_enrolled` (never the key)."""
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    record_event(actor=actor, action="accounts.mfa_enrolled", target=user, data={"device": name})
    return device


@audited_action
def reset_mfa(*, user: StaffUser, actor: str = SYSTEM) -> TOTPDevice:
    """Replace every authenticator `user` has with one new TOTP device.

    For a lost phone, or a first enrolment. The old devices stop working at once; recovery
    codes are kept (`issue_recovery_codes` replaces those). Audits `accounts.mfa_reset` with
    how many devices were removed, then `accounts.mfa_enrolled`.
    """
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    record_event(actor=actor, action="accounts.mfa_reset", target=user, data={"removed": removed})
    return add_totp_device(user=user, actor=actor)


def recovery_code_digest(code: str) -> str:
    """The SHA-256 kept for a recovery code, as typed in any case, with or without spaces."""
    normalised = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


@audited_action
def issue_recovery_codes(*, user: StaffUser, actor: str = SYSTEM) -> list[str]:
    """Give `user` RECOVERY_CODES new one-use codes, replacing any they had; returns them.

    The codes are returned once, to be shown once; only their SHA-256 is kept. Audits
    `accounts.recovery_codes_issued` with how many were issued and replaced (never a code).
    """
    device, _ = RecoveryCodeSet.objects.get_or_create(
        user=user, defaults={"name": "recovery codes", "confirmed": True}
    )
    replaced, _ = device.codes.all().delete()
    codes = [
        "-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4)) for _ in range(4))
        for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_sha256=recovery_code_digest(code)) for code in codes
    )
    record_event(
        actor=actor,
        action="accounts.recovery_codes_issued",
        target=user,
        data={"issued": len(codes), "replaced": replaced},
    )
    return codes


@audited_action
def use_recovery_code(*, user: StaffUser, code: str) -> RecoveryCodeSet | None:
    """Spend one of `user`'s recovery codes; the device to sign in with, or None if no match.

    Only a password-checked sign-in calls this. The code is deleted in the same transaction
    (of two sign-ins racing with one code, one deletes it and the other finds nothing).
    Audits `accounts.recovery_code_used` with how many codes remain; a code that matches
    nothing writes no event here (the refused sign-in is audited by `record_failed_sign_in`).
    """
    match = RecoveryCode.objects.filter(
        device__user=user, device__confirmed=True, code_sha256=recovery_code_digest(code)
    ).first()
    if match is None:
        return None
    deleted, _ = RecoveryCode.objects.filter(pk=match.pk).delete()
    if not deleted:
        return None
    device = RecoveryCodeSet.objects.get(pk=match.device_id)
    remaining = device.codes.count()
    record_event(
        actor=staff_actor(user),
        action="accounts.recovery_code_used",
        target=user,
        data={"remaining": remaining},
    )
    return device


def _client_throttle(client_key: str) -> ClientThrottle:
    """The connection's throttle row, created if need be, locked for this transaction."""
    row, _ = ClientThrottle.objects.get_or_create(client_key=client_key)
    return ClientThrottle.objects.select_for_update().get(pk=row.pk)


def _account_throttle(user: StaffUser) -> AccountThrottle:
    """The account's throttle row, created if need be, locked for this transaction."""
    row, _ = AccountThrottle.objects.get_or_create(user=user)
    return AccountThrottle.objects.select_for_update().get(pk=row.pk)


def _reset(row: SignInThrottle) -> None:
    row.failures = 0
    row.last_failure_at = None
    row.throttled_until = None
    row.save()


@audited_action
def record_sign_in(*, user: StaffUser, method: str = "authenticator") -> None:
    """A successful password + second-factor sign-in: clears the account's throttle.

    The connection's throttle is left as it is: someone with one account of their own must not
    be able to wipe their connection's failures by signing in, and guess on at another.
    Audits `accounts.signed_in` with the second factor used ("authenticator" or
    "recovery_code").
    """
    AccountThrottle.objects.filter(user=user).delete()
    record_event(
        actor=staff_actor(user), action="accounts.signed_in", target=user, data={"with": method}
    )


@audited_action
def record_failed_sign_in(*, username: str, reason: str, client_key: str) -> datetime | None:
    """Audit a refused sign-in and count it against the connection and the account.

    `reason` is "password" (no such account, or the wrong password), "otp" (the wrong code)
    or "throttled" (the connection was held back, so nothing was checked; it counts nowhere,
    so retrying does not lengthen the wait). The counting rules and why are in
    hotline.accounts.throttle. Returns until when the connection is now held back, if it is.

    Audits `accounts.sign_in_refused` against the account it named. Only an existing
    account's name is recorded: people type passwords into the username field, and an unknown
    name is recorded as "<unknown>". No address, nor the connection's key, is recorded.
    """
    now = timezone.now()
    user = StaffUser.objects.filter(username=username).first()
    record_event(
        actor=SYSTEM,
        action="accounts.sign_in_refused",
        target=user,
        data={"username": user.username if user else "<unknown>", "reason": reason},
    )
    if reason == "throttled":
        return throttle.client_throttled_until(client_key, now)
    client = _client_throttle(client_key)
    throttle.count_failure(client, throttle.CLIENT, now)
    if user is not None and client.failures <= throttle.CLIENT.free_failures:
        account = _account_throttle(user)
        throttle.count_failure(account, throttle.ACCOUNT, now)
        account.save()
    under_attack = throttle.attack_throttled_until(now)
    if under_attack and (client.throttled_until is None or client.throttled_until < under_attack):
        client.throttled_until = under_attack
    client.save()
    return client.throttled_until


@audited_action
def unlock_sign_in(*, user: StaffUser, actor: str = SYSTEM) -> None:
    """Forget the refused sign-ins counted against `user`'s account.

    For an account under a spread-out attack that has ended, or after an analyst's own
    mistakes. Audits `accounts.sign_in_unlocked`.
    """
    for row in AccountThrottle.objects.select_for_update().filter(user=user):
        _reset(row)
    record_event(actor=actor, action="accounts.sign_in_unlocked", target=user)


@audited_action
def forget_connection_throttles(*, actor: str = SYSTEM) -> int:
    """Forget every connection's refused sign-ins (all of them: a connection has no name).

    For an office whose shared address is held back because of someone else's guesses.
    Audits `accounts.connection_throttles_cleared` with how many were forgotten.
    """
    cleared, _ = ClientThrottle.objects.all().delete()
    record_event(
        actor=actor, action="accounts.connection_throttles_cleared", data={"count": cleared}
    )
    return cleared


def _stale(memory_start: datetime) -> Q:
    return Q(last_failure_at__isnull=True) | Q(last_failure_at__lt=memory_start)


@audited_action
def forget_stale_sign_in_throttles(*, now: datetime | None = None) -> int:
    """Delete throttle rows whose failures are already forgotten (the periodic job).

    A connection's row outlives its use within the hour (and its key within the day); keeping
    it would only keep a keyed hash of an address for no purpose. Audits
    `accounts.sign_in_throttles_expired` with how many rows went, when any did.
    """
    now = now or timezone.now()
    clients, _ = ClientThrottle.objects.filter(
        _stale(now - throttle.CLIENT.memory),
        Q(throttled_until__isnull=True) | Q(throttled_until__lt=now),
    ).delete()
    accounts, _ = AccountThrottle.objects.filter(
        _stale(now - throttle.ACCOUNT.memory),
        Q(throttled_until__isnull=True) | Q(throttled_until__lt=now),
    ).delete()
    if clients or accounts:
        record_event(
            actor=SYSTEM,
            action="accounts.sign_in_throttles_expired",
            data={"connections": clients, "accounts": accounts},
        )
    return clients + accounts


@audited_action
def set_staff_language(*, user: StaffUser, language: str, actor: str | None = None) -> StaffUser:
    """Make every staff page speak `language` (one of settings.STAFF_LANGUAGES) to `user`.

    `actor` defaults to the user, who changes it from the staff header. Audits
    `accounts.language_changed` with the old and new language; choosing the language already
    set changes nothing and audits nothing. Raises ValueError for a language staff pages do
    not speak.
    """
    if language not in settings.STAFF_LANGUAGES:
        raise ValueError(
            f"Staff pages speak {', '.join(settings.STAFF_LANGUAGES)}, not {language!r}."
        )
    if user.language == language:
        return user
    previous = user.language
    user.language = language
    user.save(update_fields=["language"])
    record_event(
        actor=actor or staff_actor(user),
        action="accounts.language_changed",
        target=user,
        data={"from": previous, "to": language},
    )
    return user
