"""Sign-in throttling that slows down guessing without letting a stranger lock an analyst out.

Two throttles, each explicit state changed only by the sign-in actions (models
`ClientThrottle` and `AccountThrottle`; actions `record_failed_sign_in`, `record_sign_in`,
`unlock_sign_in`):

**Per connection** (`ClientThrottle`, keyed by `hotline.core.ratelimit.client_key`: an HMAC of
the address under a secret that changes daily and is never stored; IPv6 by /64). A connection's
first CLIENT.free_failures refused sign-ins cost nothing; after that each one holds the
connection back for 30 s, 1 min, 2 min, ... up to 15 min, during which nothing it sends is
checked (the answer is a 429 that says until when). All usernames count together, so guessing
at many names from one place is slowed as much as guessing at one.

**Per account** (`AccountThrottle`). Why not simply lock an account after N failures: anyone
who knows a username could then keep that analyst out for ever with one guess every few
minutes (the reported bug). So:

1. An account's throttle never refuses the right password and code. A right answer from a
   connection that is not itself throttled always signs in, and clears the account's
   throttle. A stranger therefore cannot keep anyone out from another connection; they can
   only hold back their own connection (or one they share: see below).
2. It counts only failures from connections that are still within their free allowance, so
   one connection adds at most CLIENT.free_failures to an account until it has been quiet for
   CLIENT.memory, by when the account has forgotten them too (twice that across midnight UTC,
   when the daily key changes). That is below ACCOUNT.free_failures: one stranger, however
   patient, never moves an account's throttle at all.
3. A spread-out attack (many connections, each trying its few free guesses, which is how
   guessing beyond the per-connection limit works) does move it. While an account is
   throttled, **every** connection that fails a sign-in, on any username, is held back until
   the account's throttle ends. That takes away the free allowance of each new connection
   (the attacker's whole budget). It applies whatever name was tried, so who gets held back
   reveals nothing about which accounts exist or are under attack; an analyst who mistypes
   during such an attack waits too, and the message says until when.

What this does not do: a stranger behind the same address as an analyst (one office NAT)
holds back that analyst too, since a connection is all we know of them
(`hotline staff unlock NAME --connections` forgets every connection's failures). With the
default in-memory cache each web process has its own daily secret, so each process keeps its
own count for a connection (set HOTLINE_CACHE_URL to share it), and one connection can add
that many times more to an account. Nothing here stores, logs or audits an address; the
audit events of refused sign-ins name only an existing account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from hotline.accounts.models import AccountThrottle, ClientThrottle, SignInThrottle, StaffUser


@dataclass(frozen=True)
class Policy:
    free_failures: int  # failures that cost nothing
    first_delay: timedelta  # the delay after the first failure beyond those; doubling
    max_delay: timedelta
    memory: timedelta  # failures are forgotten this long after the last one

    def delay_after(self, failures: int) -> timedelta:
        """How long to hold back after the `failures`-th failure."""
        beyond = failures - self.free_failures
        if beyond <= 0:
            return timedelta(0)
        # The exponent is capped so that a long attack does not build a huge integer.
        return min(self.first_delay * 2 ** min(beyond - 1, 20), self.max_delay)


CLIENT = Policy(
    free_failures=5,
    first_delay=timedelta(seconds=30),
    max_delay=timedelta(minutes=15),
    memory=timedelta(hours=1),
)
# free_failures must stay above what one connection can add (point 2 above): twice
# CLIENT.free_failures within the memory (across midnight), or that times the number of web
# processes with the in-memory cache, where each process has its own daily secret; and the
# account's memory no longer than the connection's, so that an account forgets no later than
# the connection that failed on it. A spread-out attack gets this many guesses an hour at most
# before every new connection loses its free allowance.
ACCOUNT = Policy(
    free_failures=50,
    first_delay=timedelta(seconds=30),
    max_delay=timedelta(minutes=15),
    memory=timedelta(hours=1),
)
assert ACCOUNT.free_failures > 2 * CLIENT.free_failures and ACCOUNT.memory <= CLIENT.memory


def count_failure(throttle: SignInThrottle, policy: Policy, now: datetime) -> None:
    """Add one failure to `throttle` (not saved), forgetting old ones first."""
    if throttle.last_failure_at is None or now - throttle.last_failure_at > policy.memory:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    delay = policy.delay_after(throttle.failures)
    throttle.throttled_until = now + delay if delay else None


def client_throttled_until(client_key: str, now: datetime | None = None) -> datetime | None:
    """Until when the connection `client_key` is held back, or None if it may try now."""
    now = now or timezone.now()
    until = (
        ClientThrottle.objects.filter(client_key=client_key, throttled_until__gt=now)
        .values_list("throttled_until", flat=True)
        .first()
    )
    return until


def attack_throttled_until(now: datetime | None = None) -> datetime | None:
    """Until when the most throttled account is under attack (point 3 above), or None."""
    now = now or timezone.now()
    return AccountThrottle.objects.filter(throttled_until__gt=now).aggregate(
        until=Max("throttled_until")
    )["until"]


@dataclass(frozen=True)
class AccountState:
    failures: int
    throttled_until: datetime | None


def account_state(user: StaffUser, now: datetime | None = None) -> AccountState:
    """The account's recent failures and how long it is throttled (for `hotline staff list`)."""
    now = now or timezone.now()
    throttle = AccountThrottle.objects.filter(user=user).first()
    if throttle is None or throttle.last_failure_at is None:
        return AccountState(0, None)
    if now - throttle.last_failure_at > ACCOUNT.memory:
        return AccountState(0, None)
    until = throttle.throttled_until
    return AccountState(throttle.failures, until if until and until > now else None)
