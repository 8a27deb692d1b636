"""The rules of notice and takedown, each in one place: how a notice may move between states,
when the content is checked again, and whom a notice escalates to, and when.

Actions (hotline/takedown/actions.py) consult these tables; nothing else decides them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from hotline.takedown.models import NoticeState, RecipientKind

N = NoticeState

# from -> the states a notice may move to. Why each move exists:
NOTICE_TRANSITIONS: dict[NoticeState, frozenset[NoticeState]] = {
    N.TO_SEND: frozenset(
        {
            N.SENT,  # the mail server accepted it
            N.FAILED,  # delivery failed every time it was tried
            N.REMOVED,  # the content went before the notice left (a re-check found it gone)
            N.WITHDRAWN,  # the confirmation was withdrawn
        }
    ),
    N.SENT: frozenset(
        {
            N.ACKNOWLEDGED,  # the recipient answered (recorded by an analyst)
            N.REMOVED,  # a re-check found the content gone
            N.ESCALATED,  # no removal in time: the next party is asked
            N.WITHDRAWN,
        }
    ),
    N.ACKNOWLEDGED: frozenset({N.REMOVED, N.ESCALATED, N.WITHDRAWN}),
    # An escalated notice still counts the removal it asked for.
    N.ESCALATED: frozenset({N.REMOVED, N.WITHDRAWN}),
    N.FAILED: frozenset(
        {
            N.TO_SEND,  # tried again, or routed by hand to another address
            N.REMOVED,
            N.WITHDRAWN,
        }
    ),
    N.REMOVED: frozenset(),
    N.WITHDRAWN: frozenset(),
}


def may_move(state: str, to: str) -> bool:
    return NoticeState(to) in NOTICE_TRANSITIONS[NoticeState(state)]


# Whom a notice escalates to when the content stays online: a partner hotline's notice goes to
# the national authority (law enforcement can act across borders where a hotline cannot); a
# provider's (or a CDN's) to the network upstream of it; the upstream network's to the
# national authority. The national authority is the end of the line.
ESCALATES_TO: dict[RecipientKind, RecipientKind | None] = {
    RecipientKind.HOTLINE: RecipientKind.NATIONAL_AUTHORITY,
    RecipientKind.HOSTING_PROVIDER: RecipientKind.UPSTREAM,
    RecipientKind.CDN: RecipientKind.UPSTREAM,
    RecipientKind.UPSTREAM: RecipientKind.NATIONAL_AUTHORITY,
    RecipientKind.MANUAL: RecipientKind.NATIONAL_AUTHORITY,
    RecipientKind.NATIONAL_AUTHORITY: None,
}


def escalation_due_at(*, confirmed_at: datetime, level: int) -> datetime | None:
    """When a notice of `level` escalates if the content is still online: the level's delay
    (HOTLINE_TAKEDOWN_ESCALATE_AFTER, from the confirmation), or never past the last delay."""
    delays: tuple[timedelta, ...] = settings.HOTLINE_TAKEDOWN_ESCALATE_AFTER
    if level >= len(delays):
        return None
    return confirmed_at + delays[level]


def next_check_at(*, since: datetime, checks_done: int) -> datetime:
    """When the next re-check is due after `checks_done` checks since the clock started at
    `since`: the schedule's offsets (HOTLINE_TAKEDOWN_RECHECKS, from `since`), then one every
    HOTLINE_TAKEDOWN_RECHECK_EVERY after the last offset."""
    offsets: tuple[timedelta, ...] = settings.HOTLINE_TAKEDOWN_RECHECKS
    if checks_done < len(offsets):
        return since + offsets[checks_done]
    after = checks_done - len(offsets) + 1
    return since + offsets[-1] + after * settings.HOTLINE_TAKEDOWN_RECHECK_EVERY


def retry_delay(attempts: int) -> timedelta:
    """How long a notice whose delivery failed `attempts` times waits before the next try:
    doubling from a minute, so a mail server that is down for an hour is not hammered."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))
