"""Quality assurance: which assessments a second analyst checks, who may take which part in
QA, appeals and corrections, and the agreement figures of the QA page.

The policy is decided here, in one place (`needs_second_assessment`); the actions
(assessment/actions.py) ask it and carry the answer out through outcomes.settle_case.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from hotline.accounts.models import PortalRole, Role, StaffUser
from hotline.assessment.models import (
    Appeal,
    Assessment,
    Purpose,
    QaPolicy,
    QaReason,
    QaReview,
)
from hotline.assessment.queries import assessable_cases
from hotline.cases.models import Case, CaseStatus
from hotline.cases.states import RESOLVED_STATUSES
from hotline.core.canonical import listable_domains
from hotline.portals.models import Portal


@dataclass(frozen=True)
class Policy:
    """How many of an analyst's first assessments, and what share of the rest, are checked."""

    first_assessments: int
    sample_percent: int


def policy_for(portal: Portal) -> Policy:
    """The portal's QA policy: its own values where set (admin), else the site's defaults."""
    own = QaPolicy.objects.filter(portal=portal).first()
    first = own.first_assessments if own and own.first_assessments is not None else None
    percent = own.sample_percent if own and own.sample_percent is not None else None
    return Policy(
        first_assessments=settings.HOTLINE_QA_FIRST_ASSESSMENTS if first is None else first,
        sample_percent=settings.HOTLINE_QA_SAMPLE_PERCENT if percent is None else percent,
    )


def needs_second_assessment(analyst: StaffUser, case: Case) -> QaReason | None:
    """Whether the assessment `analyst` is about to record on `case` is checked by a second
    analyst before it is acted on, and why; None when it is acted on at once.

    Every assessment among the analyst's first N (counted over all portals: experience is the
    analyst's), then a random X% of all others, N and X from the case's portal's policy. The
    draw uses `secrets`, so no one can tell or steer which assessments will be checked.
    """
    policy = policy_for(case.portal)
    if policy.first_assessments:
        # Counting stops at N: the cost stays the same however many an analyst has made.
        earlier = Assessment.objects.filter(analyst=analyst, purpose=Purpose.FIRST).values("pk")
        if earlier[: policy.first_assessments].count() < policy.first_assessments:
            return QaReason.NEW_ANALYST
    if secrets.randbelow(100) < policy.sample_percent:
        return QaReason.SAMPLE
    return None


def agree(first: Assessment, second: Assessment) -> bool:
    """Two assessments agree when they give the same outcome (so the same category), and,
    for duplicates, name the same case."""
    return (
        first.outcome_code == second.outcome_code
        and first.duplicate_of_id == second.duplicate_of_id
    )


def portal_ids_with_role(user: StaffUser, *roles: Role) -> set[int]:
    return set(
        PortalRole.objects.filter(user=user, role__in=roles).values_list("portal_id", flat=True)
    )


def is_senior_for(user: StaffUser, case: Case) -> bool:
    """Senior analyst on the portal that owns the case (where it was first reported)."""
    return PortalRole.objects.filter(
        user=user, portal_id=case.portal_id, role=Role.SENIOR_ANALYST
    ).exists()


def has_assessed(user: StaffUser, case: Case) -> bool:
    """Whether `user` made any assessment of `case`, of any kind, at any time."""
    return Assessment.objects.filter(case=case, analyst=user).exists()


def open_review(case: Case) -> QaReview | None:
    return (
        QaReview.objects.filter(case=case, settled_at__isnull=True)
        .select_related("first", "second")
        .first()
    )


def open_appeal(case: Case) -> Appeal | None:
    return Appeal.objects.filter(case=case, decided_at__isnull=True).first()


# The queues. Each lists only what the user may do something about.


def second_assessment_queue(user: StaffUser) -> QuerySet[Case]:
    """Cases waiting for a second assessment that `user` may make: on their portals, and
    first assessed by someone else. Oldest first."""
    waiting = QaReview.objects.filter(settled_at__isnull=True, second__isnull=True).exclude(
        first__analyst=user
    )
    return (
        assessable_cases(user)
        .filter(status=CaseStatus.AWAITING_QA, qa_reviews__in=waiting)
        .select_related("portal")
        .order_by("qa_reviews__opened_at", "pk")
    )


def disagreement_queue(user: StaffUser) -> QuerySet[QaReview]:
    """Disagreements `user` may decide: on a portal where they are a senior analyst, between
    two assessments neither of which is theirs. Oldest first."""
    return (
        QaReview.objects.filter(
            settled_at__isnull=True,
            second__isnull=False,
            case__portal_id__in=portal_ids_with_role(user, Role.SENIOR_ANALYST),
        )
        .exclude(Q(first__analyst=user) | Q(second__analyst=user))
        .select_related("case", "case__portal")
        .order_by("opened_at", "pk")
    )


def appeal_queue(user: StaffUser) -> QuerySet[Appeal]:
    """Open appeals `user` may re-assess: on a portal where they are a senior analyst, of a
    case they never assessed. Oldest first."""
    return (
        Appeal.objects.filter(
            decided_at__isnull=True,
            case__portal_id__in=portal_ids_with_role(user, Role.SENIOR_ANALYST),
        )
        .exclude(case__assessments__analyst=user)
        .select_related("case", "case__portal")
        .order_by("received_at", "pk")
    )


# What the case page shows of QA, for one user.

Stage = Literal[
    "",  # nothing of QA to do or say
    "second",  # the user may make the second assessment (blind)
    "first_assessor_waits",  # the user's own assessment waits for a second one
    "senior",  # the user may decide the disagreement
    "waits_for_senior",  # a disagreement waits for a senior analyst (not this user)
    "appeal",  # the user may re-assess the appeal
    "appeal_waits",  # an appeal waits for a senior analyst who did not assess the case
]


@dataclass(frozen=True)
class CaseQa:
    stage: Stage
    review: QaReview | None
    appeal: Appeal | None
    # While a second assessment is due, no one who might make it sees the first.
    blind: bool
    may_record_appeal: bool
    may_correct: bool
    # A senior on a confirmed case: the whole domains they may list (host, then parents).
    listable_domains: list[str]
    reviews: list[QaReview]
    appeals: list[Appeal]


def case_qa(case: Case, user: StaffUser) -> CaseQa:
    """What the case page shows `user` about QA, appeals and corrections of `case`."""
    review = open_review(case) if case.status == CaseStatus.AWAITING_QA else None
    appeal = open_appeal(case) if case.status == CaseStatus.APPEALED else None
    senior = is_senior_for(user, case)
    stage: Stage = ""
    blind = False
    if review is not None and review.second_id is None:
        own = review.first.analyst_id == user.pk
        stage = "first_assessor_waits" if own else "second"
        blind = not own
    elif review is not None:
        mine = user.pk in (
            review.first.analyst_id,
            review.second.analyst_id if review.second else 0,
        )
        stage = "senior" if senior and not mine else "waits_for_senior"
    elif appeal is not None:
        stage = "appeal" if senior and not has_assessed(user, case) else "appeal_waits"
    return CaseQa(
        stage=stage,
        review=review,
        appeal=appeal,
        blind=blind,
        may_record_appeal=senior and case.status == CaseStatus.CONFIRMED,
        may_correct=senior and case.status in RESOLVED_STATUSES,
        listable_domains=(
            listable_domains(case.host) if senior and case.status == CaseStatus.CONFIRMED else []
        ),
        reviews=list(
            QaReview.objects.filter(case=case, second__isnull=False)
            .select_related("first__analyst", "second__analyst", "decision__analyst")
            .order_by("-opened_at", "-pk")
        ),
        appeals=list(Appeal.objects.filter(case=case).select_related("reassessment__analyst")[:20]),
    )


# The QA page: agreement between first and second assessments, over time.

Period = Literal["month", "week"]
PERIODS_SHOWN = {"month": 12, "week": 12}


@dataclass(frozen=True)
class Rate:
    checked: int
    agreed: int

    @property
    def percent(self) -> int:
        return round(100 * self.agreed / self.checked) if self.checked else 0

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.checked + other.checked, self.agreed + other.agreed)


@dataclass(frozen=True)
class AgreementRow:
    label: str
    cells: list[Rate | None]  # one per period, None where nothing was checked
    total: Rate


@dataclass(frozen=True)
class Agreement:
    period: Period
    since: datetime  # the start of the oldest period counted
    periods: list[datetime]  # newest first
    by_analyst: list[AgreementRow]
    by_category: list[AgreementRow]
    total: AgreementRow
    awaiting_second: int
    awaiting_senior: int
    senior_decisions: int
    appeals_open: int
    appeals_upheld: int
    appeals_refused: int
    corrections: int


def qa_portal_ids(user: StaffUser) -> set[int]:
    """Portals whose QA figures `user` may read: those where they are senior or administrator."""
    return portal_ids_with_role(user, Role.SENIOR_ANALYST, Role.ADMINISTRATOR)


def _period_start(now: datetime, period: Period) -> datetime:
    local = timezone.localtime(now)
    if period == "week":
        monday = local - timedelta(days=local.weekday())
        start = monday - timedelta(weeks=PERIODS_SHOWN["week"] - 1)
        return start.replace(hour=0, minute=0, second=0, microsecond=0)
    month = local.year * 12 + local.month - 1 - (PERIODS_SHOWN["month"] - 1)
    return local.replace(
        year=month // 12, month=month % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def agreement(portal_ids: set[int], period: Period, now: datetime | None = None) -> Agreement:
    """Agreement rates of second assessments with the first, per analyst (whose first
    assessment was checked) and per category (the first assessment's outcome), for each of
    the last months or weeks, counted from the stored assessments of `portal_ids`' cases."""
    now = now or timezone.now()
    since = _period_start(now, period)
    trunc = TruncMonth if period == "month" else TruncWeek
    checked = QaReview.objects.filter(
        case__portal_id__in=portal_ids, second__isnull=False, second__assessed_at__gte=since
    )
    rows = (
        checked.annotate(at=trunc("second__assessed_at"))
        .values("at", "first__analyst__username", "first__outcome_code", "first__outcome_label")
        .annotate(n=Count("pk"), agreed_n=Count("pk", filter=Q(agreed=True)))
        .order_by()
    )
    by_analyst: dict[str, dict[datetime, Rate]] = defaultdict(dict)
    by_category: dict[str, dict[datetime, Rate]] = defaultdict(dict)
    overall: dict[datetime, Rate] = {}
    zero = Rate(0, 0)
    for row in rows:
        at, rate = row["at"], Rate(row["n"], row["agreed_n"])
        analyst = row["first__analyst__username"]
        category = f"{row['first__outcome_code']}: {row['first__outcome_label']}"
        by_analyst[analyst][at] = by_analyst[analyst].get(at, zero) + rate
        by_category[category][at] = by_category[category].get(at, zero) + rate
        overall[at] = overall.get(at, zero) + rate
    periods = sorted(overall, reverse=True)

    def row_of(label: str, rates: dict[datetime, Rate]) -> AgreementRow:
        total = sum(rates.values(), zero)
        return AgreementRow(label, [rates.get(at) for at in periods], total)

    reviews = QaReview.objects.filter(case__portal_id__in=portal_ids)
    appeals = Appeal.objects.filter(case__portal_id__in=portal_ids)
    return Agreement(
        period=period,
        since=since,
        periods=periods,
        by_analyst=[row_of(label, by_analyst[label]) for label in sorted(by_analyst)],
        by_category=[row_of(label, by_category[label]) for label in sorted(by_category)],
        total=row_of("", overall),
        awaiting_second=reviews.filter(settled_at__isnull=True, second__isnull=True).count(),
        awaiting_senior=reviews.filter(settled_at__isnull=True, second__isnull=False).count(),
        senior_decisions=reviews.filter(
            decision__isnull=False, decision__assessed_at__gte=since
        ).count(),
        appeals_open=appeals.filter(decided_at__isnull=True).count(),
        appeals_upheld=appeals.filter(decision="upheld", decided_at__gte=since).count(),
        appeals_refused=appeals.filter(decision="refused", decided_at__gte=since).count(),
        corrections=Assessment.objects.filter(
            case__portal_id__in=portal_ids, purpose=Purpose.CORRECTION, assessed_at__gte=since
        ).count(),
    )
