"""The report form's proof of work: challenges, how hard they are, and checking solutions.

A browser with JavaScript asks for a challenge, spends a moment of its CPU on it and sends the
solution with the report, which is then filed `verified`: ahead of unverified reports in the
analysts' queue, and outside the portal's flood limit. Without JavaScript, or with a wrong,
expired or reused solution, the report is filed all the same, unverified: the proof of work
sorts reports, it never turns a person away.

The format is ALTCHA's proof of work v2 (the `altcha` library here; the altcha widget 3.x speaks
the same), with its SHA-256 algorithm in deterministic mode: the server draws the counter the
solver must reach, below `max_number(portal)`, and signs the key prefix that counter yields, so
the work is proportional to that number and the server checks a solution with one hash. The
solver is our own small script (static/hotline/pow/), because the widget alone weighs more than
the whole report page may (docs/architecture.md, "Proof of work").

Nothing here knows who anyone is: a challenge is not tied to an address or a cookie; spent
solutions and the per-minute submission counts live in the cache only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from enum import StrEnum
from typing import Any

import altcha
from django.conf import settings
from django.core.cache import cache

from hotline.core.ratelimit import count, counted
from hotline.portals.models import Portal

# The form field that carries the solution (the name the altcha widget uses too).
FIELD = "altcha"
ALGORITHM = "SHA-256"
# Long enough to fill in the form slowly; a spent solution is remembered as long.
LIFETIME = 20 * 60
# A real payload is about 600 characters; anything far longer is not worth decoding.
MAX_PAYLOAD_LENGTH = 4000

# The difficulty is the number of hashes a solver may need (the work averages half of it).
# Chromium does about 110,000 SHA-256 hashes a second per worker on the development machine
# (docs/benchmarks.md); take a cheap phone to do a quarter of that, on one worker. At the
# base it needs a tenth of a second or so; at the top, which a flood reaches within a minute,
# under two seconds on average and under four at worst.
BASE_MAX_NUMBER = 10_000
# (report submissions on the portal in a minute, at or above which: the max number)
FLOOD_STEPS: tuple[tuple[int, int], ...] = ((30, 25_000), (120, 50_000), (500, 100_000))
MINUTE = 60
RATE_SCOPE = "report-submissions"


class Verdict(StrEnum):
    VERIFIED = "verified"
    MISSING = "missing"  # no solution: JavaScript off, an old page, a script
    INVALID = "invalid"  # not ours, tampered with, wrong, or another portal's
    EXPIRED = "expired"
    REPLAYED = "replayed"  # already spent on another report


def count_submission(portal: Portal) -> None:
    """Count one report submission on `portal` (any attempt, sent or refused)."""
    count(RATE_SCOPE, portal.code, MINUTE, history=1)


def submissions_per_minute(portal: Portal) -> int:
    """The portal's recent rate: this minute's submissions so far, or the last minute's if
    more, so the difficulty neither waits a minute to rise nor drops when a minute turns."""
    return max(
        counted(RATE_SCOPE, portal.code, MINUTE),
        counted(RATE_SCOPE, portal.code, MINUTE, windows_ago=1),
    )


def max_number(portal: Portal) -> int:
    """How hard the next challenge on `portal` is: the base, one step up for each flood
    threshold the portal's recent submission rate has passed, capped at the last step."""
    rate = submissions_per_minute(portal)
    number = BASE_MAX_NUMBER
    for threshold, step in FLOOD_STEPS:
        if rate >= threshold:
            number = step
    return number


def _hmac_secret() -> str:
    # Derived from the secret key, so rotating that key also voids every open challenge.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"hotline.intake.proof-of-work", hashlib.sha256).hexdigest()


def new_challenge(*, portal: Portal) -> dict[str, Any]:
    """A signed challenge for the report form of `portal`, as JSON-ready data.

    Bound to the portal, so a challenge fetched cheaply where all is quiet cannot be spent
    on a portal under a flood; valid for LIFETIME seconds.
    """
    challenge = altcha.create_challenge(
        ALGORITHM,
        1,
        counter=secrets.randbelow(max_number(portal) + 1),
        expires_at=int(time.time()) + LIFETIME,
        data={"portal": portal.code},
        hmac_secret=_hmac_secret(),
    )
    return challenge.to_dict()


def check_solution(payload: str, *, portal: Portal) -> Verdict:
    """Whether `payload` (the form's FIELD) proves the work for a challenge of `portal`.

    A verified solution is spent: remembered in the cache until its challenge expires, so it
    verifies one report only. Never raises, whatever it is sent.
    """
    if not payload:
        return Verdict.MISSING
    if len(payload) > MAX_PAYLOAD_LENGTH:
        return Verdict.INVALID
    try:
        solved = altcha.Payload.from_base64(payload)
        result = altcha.verify_solution(solved, _hmac_secret())
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return Verdict.INVALID
    if result.expired:
        return Verdict.EXPIRED
    parameters = solved.challenge.parameters
    expires_at = parameters.expires_at
    if (
        not result.verified
        or parameters.algorithm != ALGORITHM
        or parameters.data != {"portal": portal.code}
        or not isinstance(expires_at, int)
    ):
        return Verdict.INVALID
    spent = f"pow-spent:{solved.challenge.signature}"
    if not cache.add(spent, True, timeout=max(expires_at - int(time.time()), 0) + 5):
        return Verdict.REPLAYED
    return Verdict.VERIFIED
