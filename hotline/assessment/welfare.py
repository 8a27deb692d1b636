"""Analyst welfare: how exposure is counted, the daily limit, the break reminder, previews.

Exposure is time with a case page showing. The case page's script beats every
HEARTBEAT_INTERVAL while the page is visible, and at once when it is shown, hidden or left;
the server beats too when a case page is opened and when a case is assessed or released. Each
beat counts the time since the analyst's previous beat, capped, and only if a case page was
showing at that previous beat (record_exposure does it in one UPDATE). So:

- a visible case page counts its time, at most HEARTBEAT_CAP a beat: a page that stops
  beating (closed, asleep, offline) stops counting within one interval;
- a hidden page (another tab, another program, the queue) counts nothing;
- without JavaScript, the time from opening a case to assessing or releasing it counts, at
  most UNSCRIPTED_CAP;
- a break is at least BREAK without counted time; the stretch since the last break is what
  the break reminder measures.

The day is the analysts' working day: midnight in HOTLINE_WELFARE_TIME_ZONE (TIME_ZONE, UTC,
unless set). Not a portal's: one shift assesses cases of several portals, and a portal's
country says nothing about where its analysts sit. Not the analyst's own: staff accounts have
no time zone, and one hotline's analysts work in one office. Time across midnight counts on
the new day, and midnight is no break.

The limit (HOTLINE_EXPOSURE_LIMIT_MINUTES) and the reminder (HOTLINE_BREAK_REMINDER_MINUTES)
are one setting each for the whole hotline: exposure does not depend on the portal a case
came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotline.accounts.models import ASSESSING_ROLES, PortalRole, Role, StaffUser
from hotline.assessment.errors import AssessmentRefused
from hotline.assessment.models import ExposureDay

# The case page's script beats this often while the page is visible.
HEARTBEAT_INTERVAL = timedelta(seconds=30)
# At most this much counted per beat: the interval and some slack, so a beat that arrives a
# little late (a busy server, a slow network) is still counted whole. A longer gap means the
# page stopped beating, and that time is not counted.
HEARTBEAT_CAP = timedelta(seconds=45)
# Without the script, the time from opening a case to deciding it counts up to this: about
# as long as a claim lasts; a longer look is the analyst having left the page open.
UNSCRIPTED_CAP = timedelta(minutes=30)
# This long without counted exposure is a break: the break reminder starts again.
BREAK = timedelta(minutes=10)

# Captured previews are served only by the hotline itself, to signed-in staff, under here.
PREVIEW_PATH_PREFIX = "/staff/previews/"


@dataclass(frozen=True)
class Beat:
    """One kind of beat: whether a case page is showing from now on, and the most that the
    time since the previous beat may count."""

    showing: bool
    cap: timedelta


PAGE_VISIBLE = Beat(showing=True, cap=HEARTBEAT_CAP)  # the script: the page is visible
PAGE_HIDDEN = Beat(showing=False, cap=HEARTBEAT_CAP)  # the script: hidden, or being left
CASE_OPENED = Beat(showing=True, cap=HEARTBEAT_CAP)  # the server: a case page was rendered
# The server: the assessment form came back with errors; the analyst is still on the case.
CASE_FORM_SENT = Beat(showing=True, cap=UNSCRIPTED_CAP)
CASE_LEFT = Beat(showing=False, cap=UNSCRIPTED_CAP)  # the server: assessed or released


def exposure_limit() -> timedelta:
    return timedelta(minutes=settings.HOTLINE_EXPOSURE_LIMIT_MINUTES)


def reminder_interval() -> timedelta:
    return timedelta(minutes=settings.HOTLINE_BREAK_REMINDER_MINUTES)


def working_day_zone() -> str:
    return str(settings.HOTLINE_WELFARE_TIME_ZONE)


def working_day(now: datetime) -> date:
    """The analysts' working day `now` falls on."""
    return now.astimezone(ZoneInfo(working_day_zone())).date()


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class Exposure:
    """An analyst's standing today, as the staff pages and the claim check read it."""

    seconds: int
    stretch_seconds: int
    limit_lifted: bool
    on_break: bool
    dismissed_at_stretch: int = 0

    @property
    def limit_reached(self) -> bool:
        """At or past today's limit, and no senior has lifted it for today."""
        return not self.limit_lifted and self.seconds >= exposure_limit().total_seconds()

    @property
    def reminder_due(self) -> bool:
        """A reminder interval of exposure without a break since the last one was dismissed."""
        if self.on_break:
            return False
        due_at = self.dismissed_at_stretch + reminder_interval().total_seconds()
        return self.stretch_seconds >= due_at

    @property
    def minutes(self) -> int:
        return self.seconds // 60


NO_EXPOSURE = Exposure(seconds=0, stretch_seconds=0, limit_lifted=False, on_break=True)


def exposure_of(row: ExposureDay | None, now: datetime) -> Exposure:
    """What `row` (today's, or None) means at `now`: the same rule as the beat's UPDATE, read
    without writing. Since the latest beat, only a showing page's first HEARTBEAT_CAP may
    still count; more time than that without a beat is time away."""
    if row is None:
        return NO_EXPOSURE
    elapsed = max(unix_seconds(now) - row.last_beat, 0)
    may_count = min(elapsed, int(HEARTBEAT_CAP.total_seconds())) if row.showing else 0
    return Exposure(
        seconds=row.seconds,
        stretch_seconds=row.stretch_seconds,
        limit_lifted=row.limit_lifted_by_id is not None,
        on_break=elapsed - may_count >= BREAK.total_seconds(),
        dismissed_at_stretch=row.dismissed_at_stretch,
    )


def exposure_today(analyst: StaffUser, now: datetime | None = None) -> Exposure:
    """The analyst's exposure on today's working day (one indexed read)."""
    now = now or timezone.now()
    row = ExposureDay.objects.filter(analyst=analyst, day=working_day(now)).first()
    return exposure_of(row, now)


def duration(seconds: int) -> str:
    """Exposure in the words the staff pages use: "3 h 05 min", "45 min"."""
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def limit_message() -> str:
    hours, minutes = divmod(settings.HOTLINE_EXPOSURE_LIMIT_MINUTES, 60)
    if minutes:
        limit = duration(settings.HOTLINE_EXPOSURE_LIMIT_MINUTES * 60)
    else:
        limit = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return _(
        "You have spent %(limit)s with cases open today, which is today's limit. Thank you for "
        "that work. Please take a break now: step away from the screen, and talk to someone "
        "if it helps. You can finish a case you already hold, but you cannot take new cases "
        "until tomorrow, unless a senior analyst lifts the limit for today."
    ) % {"limit": limit}


def check_may_claim(analyst: StaffUser) -> None:
    """Refuse a new claim once the analyst has reached today's exposure limit."""
    if exposure_today(analyst).limit_reached:
        raise AssessmentRefused(limit_message())


# Who looks after whom: seniors and administrators of a portal, for its analysts.
OVERSEEING_ROLES = frozenset({Role.SENIOR_ANALYST, Role.ADMINISTRATOR})


def overseen_analysts(viewer: StaffUser) -> QuerySet[StaffUser]:
    """Staff who assess on a portal where `viewer` is a senior analyst or administrator."""
    portals = PortalRole.objects.filter(user=viewer, role__in=OVERSEEING_ROLES).values("portal_id")
    assessing_there = PortalRole.objects.filter(
        portal_id__in=portals, role__in=ASSESSING_ROLES
    ).values("user_id")
    return StaffUser.objects.filter(pk__in=assessing_there, is_active=True).order_by("username")


def may_lift_limit(*, senior: StaffUser, analyst: StaffUser) -> bool:
    """A senior analyst of one of the analyst's portals may lift their limit; nobody their own."""
    if senior.pk == analyst.pk:
        return False
    analyst_portals = PortalRole.objects.filter(user=analyst, role__in=ASSESSING_ROLES).values(
        "portal_id"
    )
    return PortalRole.objects.filter(
        user=senior, role=Role.SENIOR_ANALYST, portal_id__in=analyst_portals
    ).exists()


@dataclass(frozen=True)
class TeamMember:
    analyst: StaffUser
    today: Exposure
    week_seconds: int  # today and the six days before it
    lifted_by: str
    lifted_reason: str
    may_lift: bool


def team_exposure(viewer: StaffUser, now: datetime | None = None) -> list[TeamMember]:
    """Exposure of the analysts `viewer` looks after: today's and the last seven days'."""
    now = now or timezone.now()
    today = working_day(now)
    analysts = list(overseen_analysts(viewer))
    rows = {
        row.analyst_id: row
        for row in ExposureDay.objects.filter(analyst__in=analysts, day=today).select_related(
            "limit_lifted_by"
        )
    }
    weeks = dict(
        ExposureDay.objects.filter(analyst__in=analysts, day__gt=today - timedelta(days=7))
        .values("analyst")
        .annotate(total=Sum("seconds"))
        .values_list("analyst", "total")
    )
    senior_of = set(
        PortalRole.objects.filter(user=viewer, role=Role.SENIOR_ANALYST).values_list(
            "portal_id", flat=True
        )
    )
    assesses_on: dict[int, set[int]] = {}
    for user_id, portal_id in PortalRole.objects.filter(
        Q(user__in=analysts) & Q(role__in=ASSESSING_ROLES)
    ).values_list("user_id", "portal_id"):
        assesses_on.setdefault(user_id, set()).add(portal_id)
    members = []
    for analyst in analysts:
        row = rows.get(analyst.pk)
        lifted_by = row.limit_lifted_by if row is not None else None
        members.append(
            TeamMember(
                analyst=analyst,
                today=exposure_of(row, now),
                week_seconds=weeks.get(analyst.pk) or 0,
                lifted_by=lifted_by.username if lifted_by is not None else "",
                lifted_reason=row.limit_lifted_reason if row is not None else "",
                may_lift=analyst.pk != viewer.pk
                and bool(senior_of & assesses_on.get(analyst.pk, set())),
            )
        )
    return members


# A path under PREVIEW_PATH_PREFIX: letters, digits and - _ . / only, no "..", no "//".
_PREVIEW_PATH = re.compile(r"[A-Za-z0-9_\-./]+")


@dataclass(frozen=True)
class Preview:
    """One captured image as the case page shows it: grey and blurred until revealed.

    Only the hotline's own copy, under PREVIEW_PATH_PREFIX (staff only), never the reported
    site's address: opening a case must not make a request to the reported host, which
    would tell it that the report is being looked at and show the analyst live content.
    """

    src: str
    label: str

    def __post_init__(self) -> None:
        path = self.src
        if (
            not path.startswith(PREVIEW_PATH_PREFIX)
            or not _PREVIEW_PATH.fullmatch(path)
            or "//" in path
            or ".." in path.split("/")
        ):
            raise ValueError(
                f"A preview must be the hotline's own copy under {PREVIEW_PATH_PREFIX}, "
                f"not {path!r}."
            )
