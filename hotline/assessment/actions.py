"""Claiming cases from the queue and recording assessments. Each is one audited transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from hotline.accounts.access import assessable_portal_ids
from hotline.accounts.models import StaffUser
from hotline.assessment import qa, welfare
from hotline.assessment.errors import AssessmentRefused
from hotline.assessment.models import (
    CLAIM_TIMEOUT,
    Appeal,
    AppealDecision,
    Appellant,
    Assessment,
    Claim,
    ExposureDay,
    Purpose,
    QaPolicy,
    QaReview,
    SchemeOutcome,
)
from hotline.assessment.queries import (
    QUEUE_ORDER,
    QueueFilter,
    assessable_cases,
    waiting_queue_keys,
)
from hotline.assessment.schemes import (
    scheme_for,
)
from hotline.audit.actions import SYSTEM, audited_action, record_event, staff_actor
from hotline.cases.actions import CaseMovedMeanwhile, IllegalTransition, move_case
from hotline.cases.models import Case, CaseStatus
from hotline.cases.states import RESOLVED_STATUSES
from hotline.core.canonical import NotAWebAddress, listable_domains
from hotline.core.classification import OutcomeKind
from hotline.outcomes.actions import list_whole_domain, settle_case
from hotline.outcomes.decide import Result, Source
from hotline.portals.models import Portal


@dataclass(frozen=True)
class Facts:
    """What an analyst records beside the outcome (all optional: unknown stays blank)."""

    interpol_baseline: bool | None = None
    youngest_age: str = ""
    sex_shown: str = ""
    image_count: int | None = None
    video_count: int | None = None
    self_generated: bool | None = None
    site_type: str = ""
    commercial: bool | None = None
    hosting_country: str = ""


ASSESSABLE = (CaseStatus.NEW, CaseStatus.IN_ASSESSMENT)
# Candidates read at a time by "next case": enough that claimers at the top of the queue at
# the same moment each find a free one in the first read.
NEXT_CASE_BATCH = 8


def _lock_case(case: Case, analyst: StaffUser) -> Case:
    locked = Case.objects.select_for_update().select_related("portal").get(pk=case.pk)
    if not assessable_cases(analyst).filter(pk=locked.pk).exists():
        raise AssessmentRefused(_("You do not assess reports for this portal."))
    if locked.status not in ASSESSABLE:
        raise AssessmentRefused(_("This case has already been assessed."))
    return locked


def _claim_locked(case: Case, analyst: StaffUser, now: datetime) -> Claim:
    """Claim `case`, locked by the caller, for `analyst` under a new lease."""
    claim = Claim.objects.filter(case=case).first()
    if claim is not None and claim.analyst_id != analyst.pk and not claim.is_stale(now):
        raise AssessmentRefused(_("Another analyst is assessing this case."))
    lease_until = now + CLAIM_TIMEOUT
    took_over_from = None
    if claim is None:
        claim = Claim.objects.create(
            case=case, analyst=analyst, claimed_at=now, lease_until=lease_until
        )
    else:
        if claim.analyst_id != analyst.pk:
            took_over_from = claim.analyst_id
            claim.analyst = analyst
            claim.claimed_at = now
        claim.lease_until = lease_until
        claim.save(update_fields=["analyst", "claimed_at", "lease_until"])
    actor = staff_actor(analyst)
    if case.status == CaseStatus.NEW:
        move_case(
            case=case,
            to=CaseStatus.IN_ASSESSMENT,
            actor=actor,
            reason="claimed",
            read_under_lock=True,
        )
    record_event(
        actor=actor,
        action="assessment.case_claimed",
        target=case,
        portal=case.portal.code,
        data={"lease_until": lease_until.isoformat(), "took_over_from": took_over_from},
    )
    return claim


@audited_action
def claim_case(*, case: Case, analyst: StaffUser) -> Claim:
    """Take a case from the queue so no one else assesses it at the same time.

    The case moves to "in assessment" under a lease of CLAIM_TIMEOUT. Claiming one's own case
    again renews the lease; another analyst's live claim is refused; one whose lease has run
    out is taken over at once (the minutely job may not have returned it to the queue yet).
    Audits `assessment.case_claimed` (with the lease's end, and whose claim was taken over).
    Refused once the analyst has reached today's exposure limit (assessment/welfare.py).
    """
    welfare.check_may_claim(analyst)
    case = _lock_case(case, analyst)
    return _claim_locked(case, analyst, timezone.now())


@audited_action
def claim_next_case(*, analyst: StaffUser, portal_ids: Sequence[int] | None = None) -> Claim | None:
    """Claim the first case of the analyst's queue (on `portal_ids` only, when given, among
    the analyst's portals); None when no case waits there.

    An analyst assesses one case at a time: one who already holds a claim gets that case
    back, its lease renewed, and claims nothing more. Leases that have run out are returned to
    the queue first, so their cases can be claimed at once. Two analysts asking at the same
    moment never get the same case and never wait for each other: on PostgreSQL each takes
    the first waiting case no one else has locked (SELECT ... FOR UPDATE SKIP LOCKED); SQLite
    lets one writer at a time in (transactions begin IMMEDIATE), and the move from "new" is a
    conditional UPDATE only one claimer can win (`move_case`), the loser trying the next case.
    Audits as `claim_case` does, and `assessment.lease_expired` for each lease returned.
    Refused once the analyst has reached today's exposure limit (assessment/welfare.py).
    """
    welfare.check_may_claim(analyst)
    now = timezone.now()
    # The analyst's own claims and any run out, in one read (both nearly always none).
    mine_first = ExpressionWrapper(Q(analyst=analyst), output_field=BooleanField()).desc()
    claims = list(
        Claim.objects.filter(Q(analyst=analyst) | Q(lease_until__lte=now)).order_by(
            mine_first, "claimed_at"
        )[: NEXT_CASE_BATCH + 1]
    )
    held = next((claim for claim in claims if claim.analyst_id == analyst.pk), None)
    # Conditional, so a claim taken over meanwhile (its lease had run out) is not renewed.
    lease_until = now + CLAIM_TIMEOUT
    if held is not None and Claim.objects.filter(pk=held.pk, analyst=analyst).update(
        lease_until=lease_until
    ):
        held.lease_until = lease_until
        return held
    if any(claim.lease_until <= now for claim in claims):
        _return_expired_claims(now=now, limit=NEXT_CASE_BATCH)
    mine = assessable_portal_ids(analyst)
    scope = QueueFilter(
        portal_ids=mine if portal_ids is None else [p for p in portal_ids if p in mine]
    )
    row_locks = connection.features.has_select_for_update_skip_locked
    after = None
    while keys := waiting_queue_keys(scope, after=after, limit=NEXT_CASE_BATCH, now=now):
        candidates = [key.case_id for key in keys]
        # The first candidate still waiting that no other claimer holds locked this instant,
        # locked for this one (one row: locking more would make the others skip them too).
        # SQLite ignores the lock clause: no other writer is in.
        while case := (
            Case.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("portal")
            .filter(pk__in=candidates, status=CaseStatus.NEW)
            .order_by(*QUEUE_ORDER)
            .first()
        ):
            if row_locks:
                return _claim_locked(case, analyst, now)  # locked: no one else can move it
            try:
                # A savepoint: a lost race (CaseMovedMeanwhile) leaves nothing behind.
                with transaction.atomic():
                    return _claim_locked(case, analyst, now)
            except CaseMovedMeanwhile:
                candidates.remove(case.pk)
        after = keys[-1]
    return None


@audited_action
def release_case(*, case: Case, analyst: StaffUser) -> None:
    """Give a claimed case back to the queue ("new" again). Audits `assessment.case_released`."""
    # Lock the case as claiming does, so a release and a claim of one case take turns.
    case = Case.objects.select_for_update().select_related("portal").get(pk=case.pk)
    deleted, _ = Claim.objects.filter(case=case, analyst=analyst).delete()
    if deleted:
        actor = staff_actor(analyst)
        if case.status == CaseStatus.IN_ASSESSMENT:
            move_case(case=case, to=CaseStatus.NEW, actor=actor, reason="released")
        record_event(
            actor=actor,
            action="assessment.case_released",
            target=case,
            portal=case.portal.code,
        )


def renew_lease(*, case: Case, analyst: StaffUser) -> datetime | None:
    """Extend the analyst's claim on `case` to CLAIM_TIMEOUT from now, and return its new end;
    None when they no longer hold it (released, assessed, or run out and taken by another).

    The case page calls it when it opens and every minute while it is open. Bookkeeping, like
    a heartbeat: no audit event (claiming, releasing, a lease running out and the assessment
    are audited; a line a minute per analyst would bury them).
    """
    until = timezone.now() + CLAIM_TIMEOUT
    renewed = Claim.objects.filter(case=case, analyst=analyst).update(lease_until=until)
    return until if renewed else None


@audited_action
def return_expired_claims(*, limit: int = 500) -> int:
    """Give back to the queue up to `limit` cases whose claim's lease has run out ("new" again,
    in their place in the queue); returns how many. Run every minute by `hotline worker`
    (core/periodic.py). Audits `assessment.lease_expired` (whose claim, and when it ran out)
    and the case's `cases.status_changed` for each.
    """
    return _return_expired_claims(now=timezone.now(), limit=limit)


def _return_expired_claims(*, now: datetime, limit: int) -> int:
    expired = Claim.objects.filter(lease_until__lte=now).order_by("lease_until")
    case_ids = list(expired.values_list("case_id", flat=True)[:limit])
    if not case_ids:
        return 0
    # Cases someone is claiming or assessing this instant are left for the next round.
    cases = (
        Case.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("portal")
        .filter(pk__in=case_ids)
        .order_by("pk")
    )
    returned = 0
    for case in cases:
        # Read again under the case's lock: the lease may have been renewed meanwhile.
        claim = Claim.objects.filter(case=case, lease_until__lte=now).first()
        # Conditional too: a renewal that commits between the two is not lost.
        if claim is None or not Claim.objects.filter(pk=claim.pk, lease_until__lte=now).delete()[0]:
            continue
        if case.status == CaseStatus.IN_ASSESSMENT:
            move_case(case=case, to=CaseStatus.NEW, actor=SYSTEM, reason="lease expired")
        record_event(
            actor=SYSTEM,
            action="assessment.lease_expired",
            target=case,
            portal=case.portal.code,
            data={"analyst": claim.analyst_id, "lease_until": claim.lease_until.isoformat()},
        )
        returned += 1
    return returned


@audited_action
def record_assessment(
    *,
    case: Case,
    analyst: StaffUser,
    outcome: SchemeOutcome,
    facts: Facts | None = None,
    duplicate_of: Case | None = None,
    notes: str = "",
) -> Assessment:
    """Record an analyst's assessment of a case they hold, and act on it.

    `outcome` must belong to the scheme of the case's portal. A duplicate names the case that
    carries the assessment (one the analyst may see, not this one). The result goes to
    outcomes (`settle_case`), which moves the case and changes the lists; the claim ends.
    Audits `assessment.assessment_made` with the outcome and facts, plus the events of the
    case, outcome and URL list, all in this one transaction.
    """
    case = _lock_case(case, analyst)
    claim = Claim.objects.filter(case=case).first()
    if claim is None or claim.analyst_id != analyst.pk:
        raise AssessmentRefused(_("Claim the case before assessing it."))
    actor = staff_actor(analyst)
    if case.status == CaseStatus.NEW:
        # A claim made before claims moved cases (an upgraded database): move it as one would.
        case = move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor=actor, reason="claimed")
    second_assessment = qa.needs_second_assessment(analyst, case)
    assessment = _new_assessment(
        case=case,
        analyst=analyst,
        purpose=Purpose.FIRST,
        outcome=outcome,
        facts=facts,
        duplicate_of=duplicate_of,
        notes=notes,
    )
    if second_assessment is not None:
        QaReview.objects.create(case=case, first=assessment, reason=second_assessment)
    record_event(
        actor=actor,
        action="assessment.assessment_made",
        target=assessment,
        portal=case.portal.code,
        data={**_assessment_data(assessment), "second_assessment": second_assessment},
    )
    # Chosen for a second assessment: the case waits in QA and nothing is acted on yet.
    settle_case(
        case=case,
        result=_result_of(assessment),
        source=Source.ASSESSMENT,
        actor=actor,
        needs_qa=second_assessment is not None,
    )
    claim.delete()
    return assessment


def _new_assessment(
    *,
    case: Case,
    analyst: StaffUser,
    purpose: Purpose,
    outcome: SchemeOutcome,
    facts: Facts | None,
    duplicate_of: Case | None,
    notes: str,
) -> Assessment:
    # Checks every assessment of whatever purpose passes, then stores it.
    if outcome.scheme_id != scheme_for(case.portal).pk:
        raise AssessmentRefused(_("That outcome is not in this portal's classification scheme."))
    kind = OutcomeKind(outcome.kind)
    if kind == OutcomeKind.DUPLICATE:
        if duplicate_of is None:
            raise AssessmentRefused(_("Give the number of the case this one duplicates."))
        if duplicate_of.pk == case.pk:
            raise AssessmentRefused(_("A case cannot be a duplicate of itself."))
        if not assessable_cases(analyst).filter(pk=duplicate_of.pk).exists():
            raise AssessmentRefused(
                _("There is no case %(n)d you can see.") % {"n": duplicate_of.pk}
            )
    else:
        duplicate_of = None
    return Assessment.objects.create(
        case=case,
        analyst=analyst,
        purpose=purpose,
        outcome_code=outcome.code,
        outcome_kind=kind,
        outcome_label=outcome.label,
        duplicate_of_id=duplicate_of.pk if duplicate_of else None,
        notes=notes.strip(),
        **asdict(facts or Facts()),
    )


def _assessment_data(assessment: Assessment) -> dict[str, Any]:
    # What an assessment's audit event records: the outcome and every fact.
    return {
        "case": assessment.case_id,
        "purpose": assessment.purpose,
        "outcome": assessment.outcome_code,
        "kind": assessment.outcome_kind,
        "duplicate_of": assessment.duplicate_of_id,
        **{name: getattr(assessment, name) for name in Facts.__dataclass_fields__},
    }


def _result_of(assessment: Assessment) -> Result:
    kind = OutcomeKind(assessment.outcome_kind)
    return Result(
        kind=kind,
        category=assessment.outcome_code if kind == OutcomeKind.CRIMINAL else "",
        duplicate_of=assessment.duplicate_of_id,
    )


# Analyst welfare (hotline/assessment/welfare.py says how exposure is counted).

# One statement per beat: count the time since the previous beat if a case was showing then
# (capped), start a new stretch after a break, move the clock on, and hand back what the
# caller needs to tell whether this beat crossed a limit. Every SET reads the row as it was
# before the UPDATE (SQL semantics), on SQLite and PostgreSQL alike.
_ELAPSED = "(CASE WHEN %(now)s > last_beat THEN %(now)s - last_beat ELSE 0 END)"
_CREDIT = (
    f"(CASE WHEN showing THEN (CASE WHEN {_ELAPSED} < %(cap)s THEN {_ELAPSED} ELSE %(cap)s END)"
    " ELSE 0 END)"
)
_ON_BREAK = f"({_ELAPSED} - {_CREDIT} >= %(break)s)"
_BEAT_SQL = f"""
UPDATE {{table}} SET
    seconds = seconds + {_CREDIT},
    last_credit = {_CREDIT},
    stretch_seconds = CASE WHEN {_ON_BREAK} THEN {_CREDIT} ELSE stretch_seconds + {_CREDIT} END,
    dismissed_at_stretch = CASE WHEN {_ON_BREAK} THEN 0 ELSE dismissed_at_stretch END,
    last_beat = %(now)s,
    showing = %(showing)s
WHERE analyst_id = %(analyst)s AND day = %(day)s
RETURNING seconds, last_credit, stretch_seconds, dismissed_at_stretch, limit_lifted_by_id
"""  # noqa: S608 (built from the constants above; every value is a parameter)


def _beat(analyst: StaffUser, day: date, now: int, beat: welfare.Beat) -> tuple[Any, ...] | None:
    table = connection.ops.quote_name(ExposureDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            _BEAT_SQL.format(table=table),
            {
                "now": now,
                "cap": int(beat.cap.total_seconds()),
                "break": int(welfare.BREAK.total_seconds()),
                "showing": beat.showing,
                "analyst": analyst.pk,
                "day": connection.ops.adapt_datefield_value(day),
            },
        )
        return cursor.fetchone()


def _exposure_row(analyst: StaffUser, day: date, now: int) -> ExposureDay:
    """The analyst's row for `day`, made at the day's first beat with the clock carried over
    from their latest earlier day (so the time across midnight counts, and the stretch goes
    on), or a fresh clock if they have none."""
    earlier = ExposureDay.objects.filter(analyst=analyst, day__lt=day).order_by("-day").first()
    clock: dict[str, Any] = {"last_beat": now, "showing": False}
    if earlier is not None:
        clock = {
            "last_beat": earlier.last_beat,
            "showing": earlier.showing,
            "stretch_seconds": earlier.stretch_seconds,
            "dismissed_at_stretch": earlier.dismissed_at_stretch,
        }
    row, _created = ExposureDay.objects.get_or_create(analyst=analyst, day=day, defaults=clock)
    return row


@audited_action
def record_exposure(
    *, analyst: StaffUser, beat: welfare.Beat, now: datetime | None = None
) -> welfare.Exposure:
    """Count the time since the analyst's previous beat as exposure, if a case was showing.

    At most `beat.cap` is counted; the beat then says whether a case is showing from now on.
    One UPDATE on the analyst's row for today (the first beat of a day makes the row).
    Audits only crossings: `assessment.exposure_limit_reached` when today's exposure reaches
    the limit, `assessment.break_reminder_due` when the stretch without a break reaches the
    reminder interval. Not every beat: two a minute per analyst would fill the chain with
    events that say nothing the row does not, and each would wait for the sequencer; what
    someone reviewing the hotline's care needs is when a limit was reached, and who lifted it.
    """
    moment = now or timezone.now()
    day, now_s = welfare.working_day(moment), welfare.unix_seconds(moment)
    returned = _beat(analyst, day, now_s, beat)
    if returned is None:
        _exposure_row(analyst, day, now_s)
        returned = _beat(analyst, day, now_s, beat)
        assert returned is not None, "the row was just made"
    seconds, credit, stretch, dismissed_at, lifted_by = returned
    exposure = welfare.Exposure(
        seconds=seconds,
        stretch_seconds=stretch,
        limit_lifted=lifted_by is not None,
        on_break=False,
        dismissed_at_stretch=dismissed_at,
    )
    before = welfare.Exposure(
        seconds=seconds - credit,
        # After a break the stretch is this beat's credit alone, and started from nothing.
        stretch_seconds=max(stretch - credit, 0),
        limit_lifted=exposure.limit_lifted,
        on_break=False,
        dismissed_at_stretch=dismissed_at,
    )
    actor = staff_actor(analyst)
    if exposure.limit_reached and not before.limit_reached:
        record_event(
            actor=actor,
            action="assessment.exposure_limit_reached",
            target=analyst,
            data={"day": day.isoformat(), "minutes": exposure.minutes},
        )
    if exposure.reminder_due and not before.reminder_due:
        record_event(
            actor=actor,
            action="assessment.break_reminder_due",
            target=analyst,
            data={"day": day.isoformat(), "stretch_minutes": stretch // 60},
        )
    return exposure


@audited_action
def dismiss_break_reminder(*, analyst: StaffUser, now: datetime | None = None) -> None:
    """Hide the break reminder until another reminder interval of exposure without a break.

    Audits `assessment.break_reminder_dismissed` (nothing if there was no reminder to hide).
    """
    moment = now or timezone.now()
    day = welfare.working_day(moment)
    row = ExposureDay.objects.select_for_update().filter(analyst=analyst, day=day).first()
    if row is None or not welfare.exposure_of(row, moment).reminder_due:
        return
    row.dismissed_at_stretch = row.stretch_seconds
    row.save(update_fields=["dismissed_at_stretch"])
    record_event(
        actor=staff_actor(analyst),
        action="assessment.break_reminder_dismissed",
        target=analyst,
        data={"day": day.isoformat(), "stretch_minutes": row.stretch_seconds // 60},
    )


# A sentence or two; the form says the same.
LIFT_REASON_LENGTH = 500


@audited_action
def lift_exposure_limit(
    *, analyst: StaffUser, senior: StaffUser, reason: str, now: datetime | None = None
) -> ExposureDay:
    """Let the analyst claim cases again today although they reached the daily limit.

    Only a senior analyst of one of the analyst's portals may, never for themselves, and only
    with a reason, which is kept on the day's row and in the audit log. Lasts until the end of
    the working day. Audits `assessment.exposure_limit_lifted` (actor: the senior).
    """
    if senior.pk == analyst.pk:
        raise AssessmentRefused(
            gettext("You cannot lift your own limit: ask another senior analyst.")
        )
    if not welfare.may_lift_limit(senior=senior, analyst=analyst):
        raise AssessmentRefused(
            gettext("Only a senior analyst on one of this analyst's portals can lift their limit.")
        )
    reason = reason.strip()
    if not reason:
        raise AssessmentRefused(
            gettext("Say why the limit is lifted: the reason is kept on record.")
        )
    if len(reason) > LIFT_REASON_LENGTH:
        raise AssessmentRefused(
            gettext("Give the reason in at most %(n)d characters.") % {"n": LIFT_REASON_LENGTH}
        )
    moment = now or timezone.now()
    day = welfare.working_day(moment)
    _exposure_row(analyst, day, welfare.unix_seconds(moment))
    row = ExposureDay.objects.select_for_update().get(analyst=analyst, day=day)
    row.limit_lifted_by = senior
    row.limit_lifted_at = moment
    row.limit_lifted_reason = reason
    row.save(update_fields=["limit_lifted_by", "limit_lifted_at", "limit_lifted_reason"])
    record_event(
        actor=staff_actor(senior),
        action="assessment.exposure_limit_lifted",
        target=analyst,
        data={"day": day.isoformat(), "minutes": row.seconds // 60, "reason": reason},
    )
    return row


# Quality assurance, appeals and corrections (the policy and the queues: assessment/qa.py).
# Each result goes through outcomes.settle_case like an assessment's does.


def _lock_visible(case: Case, user: StaffUser) -> Case:
    locked = Case.objects.select_for_update().select_related("portal").get(pk=case.pk)
    if not assessable_cases(user).filter(pk=locked.pk).exists():
        raise AssessmentRefused(gettext("You do not assess reports for this portal."))
    return locked


def _require_senior(user: StaffUser, case: Case, refusal: str) -> None:
    # `refusal` is a whole translated sentence naming %(portal)s: fragments do not translate.
    if not qa.is_senior_for(user, case):
        raise AssessmentRefused(refusal % {"portal": case.portal.code.upper()})


@audited_action
def set_qa_policy(
    *, portal: Portal, first_assessments: int | None, sample_percent: int | None, actor: str
) -> QaPolicy:
    """Give `portal` its own second-assessment policy (None: the site's default for that
    value). The admin edits the same row (audited there). Audits `assessment.qa_policy_set`."""
    if sample_percent is not None and not 0 <= sample_percent <= 100:
        raise ValueError(f"sample_percent={sample_percent} is not a per cent from 0 to 100.")
    if first_assessments is not None and first_assessments < 0:
        raise ValueError(f"first_assessments={first_assessments} must be 0 or more.")
    policy, _created = QaPolicy.objects.update_or_create(
        portal=portal,
        defaults={"first_assessments": first_assessments, "sample_percent": sample_percent},
    )
    record_event(
        actor=actor,
        action="assessment.qa_policy_set",
        target=policy,
        portal=portal.code,
        data={"first_assessments": first_assessments, "sample_percent": sample_percent},
    )
    return policy


@audited_action
def record_case_view(*, case: Case, viewer: StaffUser) -> None:
    """Record that `viewer` opened the page of `case`: who looked at which reported content is
    part of the record. One insert, nothing else changes. Audits `assessment.case_viewed`."""
    record_event(
        actor=staff_actor(viewer),
        action="assessment.case_viewed",
        target=case,
        portal=case.portal.code,
    )


@audited_action
def record_second_assessment(
    *,
    case: Case,
    analyst: StaffUser,
    outcome: SchemeOutcome,
    facts: Facts | None = None,
    duplicate_of: Case | None = None,
    notes: str = "",
) -> QaReview:
    """Record the second assessment of a case waiting in QA, made without seeing the first.

    Any analyst of the case's portals but the first assessor may make it. The same outcome
    (so the same category; for a duplicate, the same case) settles the case through outcomes
    as a QA decision, and the lists change then. A different one leaves the case waiting for a
    senior analyst (`decide_disagreement`). Audits `assessment.second_assessment_made` with
    the outcome, the facts and whether the two agreed, plus the events of settling the case.
    """
    case = _lock_visible(case, analyst)
    review = qa.open_review(case)
    if case.status != CaseStatus.AWAITING_QA or review is None:
        raise AssessmentRefused(gettext("This case is not waiting for a second assessment."))
    if review.second_id is not None:
        raise AssessmentRefused(
            gettext("The second assessment of this case has already been recorded.")
        )
    if review.first.analyst_id == analyst.pk:
        raise AssessmentRefused(
            gettext("You made the first assessment of this case; another analyst makes the second.")
        )
    second = _new_assessment(
        case=case,
        analyst=analyst,
        purpose=Purpose.SECOND,
        outcome=outcome,
        facts=facts,
        duplicate_of=duplicate_of,
        notes=notes,
    )
    review.second = second
    review.agreed = qa.agree(review.first, second)
    review.settled_at = timezone.now() if review.agreed else None
    review.save(update_fields=["second", "agreed", "settled_at"])
    actor = staff_actor(analyst)
    record_event(
        actor=actor,
        action="assessment.second_assessment_made",
        target=second,
        portal=case.portal.code,
        data={**_assessment_data(second), "review": review.pk, "agreed": review.agreed},
    )
    if review.agreed:
        settle_case(case=case, result=_result_of(second), source=Source.QA_DECISION, actor=actor)
    return review


@audited_action
def decide_disagreement(
    *,
    case: Case,
    senior: StaffUser,
    outcome: SchemeOutcome,
    facts: Facts | None = None,
    duplicate_of: Case | None = None,
    notes: str = "",
) -> QaReview:
    """A senior analyst decides between a first and a second assessment that disagree.

    The senior must hold that role on the case's portal and have made neither of the two.
    Their decision (any outcome, not only one of the two) is kept beside both views and
    settles the case through outcomes as a QA decision. Audits
    `assessment.disagreement_decided` with the outcome and which view it sided with, plus the
    events of settling the case.
    """
    case = _lock_visible(case, senior)
    review = qa.open_review(case)
    if case.status != CaseStatus.AWAITING_QA or review is None or review.second is None:
        raise AssessmentRefused(gettext("This case has no disagreement waiting for a decision."))
    _require_senior(
        senior, case, gettext("Only a senior analyst of portal %(portal)s decides a disagreement.")
    )
    if senior.pk in (review.first.analyst_id, review.second.analyst_id):
        raise AssessmentRefused(
            gettext("You made one of the two assessments; another senior analyst decides.")
        )
    decision = _new_assessment(
        case=case,
        analyst=senior,
        purpose=Purpose.SENIOR,
        outcome=outcome,
        facts=facts,
        duplicate_of=duplicate_of,
        notes=notes,
    )
    review.decision = decision
    review.settled_at = timezone.now()
    review.save(update_fields=["decision", "settled_at"])
    sided_with = (
        "first"
        if qa.agree(review.first, decision)
        else "second"
        if qa.agree(review.second, decision)
        else "neither"
    )
    actor = staff_actor(senior)
    record_event(
        actor=actor,
        action="assessment.disagreement_decided",
        target=decision,
        portal=case.portal.code,
        data={**_assessment_data(decision), "review": review.pk, "sided_with": sided_with},
    )
    settle_case(case=case, result=_result_of(decision), source=Source.QA_DECISION, actor=actor)
    return review


@audited_action
def record_appeal(
    *,
    case: Case,
    senior: StaffUser,
    appellant: Appellant,
    organisation: str = "",
    reference: str = "",
) -> Appeal:
    """Record that a host, site owner or other party appeals a confirmed case.

    Recorded by a senior analyst of the case's portal; the case moves to "appealed" and stays
    on the lists until a senior who took no part in assessing it decides (`decide_appeal`).
    Only an organisation name and the appellant's reference are kept, never a person's
    details. Audits `assessment.appeal_recorded` and the case's move.
    """
    case = _lock_visible(case, senior)
    _require_senior(
        senior, case, gettext("Only a senior analyst of portal %(portal)s records an appeal.")
    )
    if case.status != CaseStatus.CONFIRMED:
        raise AssessmentRefused(gettext("Only a confirmed case can be appealed."))
    appeal = Appeal.objects.create(
        case=case,
        appellant=appellant,
        organisation=organisation.strip(),
        reference=reference.strip(),
        recorded_by=senior,
    )
    actor = staff_actor(senior)
    move_case(case=case, to=CaseStatus.APPEALED, actor=actor, reason="appeal received")
    record_event(
        actor=actor,
        action="assessment.appeal_recorded",
        target=appeal,
        portal=case.portal.code,
        data={
            "case": case.pk,
            "appellant": appeal.appellant,
            "organisation": appeal.organisation,
            "reference": appeal.reference,
        },
    )
    return appeal


@audited_action
def decide_appeal(
    *,
    case: Case,
    senior: StaffUser,
    outcome: SchemeOutcome,
    facts: Facts | None = None,
    notes: str = "",
) -> Appeal:
    """A senior analyst who never assessed the case re-assesses it on appeal.

    Not criminal upholds the appeal: the case is not confirmed and its URL leaves the list at
    once (a new list version). Criminal content refuses it: the case is confirmed again and
    the list keeps the entry (recategorised if the category differs). Settled through
    outcomes as an appeal. Audits `assessment.appeal_decided` with the outcome and the
    decision, plus the events of settling the case.
    """
    case = _lock_visible(case, senior)
    appeal = qa.open_appeal(case)
    if case.status != CaseStatus.APPEALED or appeal is None:
        raise AssessmentRefused(gettext("This case has no appeal waiting for a decision."))
    _require_senior(
        senior, case, gettext("Only a senior analyst of portal %(portal)s re-assesses an appeal.")
    )
    if qa.has_assessed(senior, case):
        raise AssessmentRefused(
            gettext(
                "You assessed this case before, so you cannot re-assess its appeal: a senior "
                "analyst who took no part in it must."
            )
        )
    kind = OutcomeKind(outcome.kind)
    if kind not in (OutcomeKind.CRIMINAL, OutcomeKind.NOT_CRIMINAL):
        raise AssessmentRefused(
            gettext(
                "An appeal is decided as criminal content (the appeal is refused) or as not "
                "criminal (the appeal is upheld)."
            )
        )
    reassessment = _new_assessment(
        case=case,
        analyst=senior,
        purpose=Purpose.APPEAL,
        outcome=outcome,
        facts=facts,
        duplicate_of=None,
        notes=notes,
    )
    appeal.reassessment = reassessment
    appeal.decision = (
        AppealDecision.UPHELD if kind == OutcomeKind.NOT_CRIMINAL else AppealDecision.REFUSED
    )
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["reassessment", "decision", "decided_at"])
    actor = staff_actor(senior)
    record_event(
        actor=actor,
        action="assessment.appeal_decided",
        target=appeal,
        portal=case.portal.code,
        data={**_assessment_data(reassessment), "decision": appeal.decision},
    )
    settle_case(case=case, result=_result_of(reassessment), source=Source.APPEAL, actor=actor)
    return appeal


@audited_action
def correct_result(
    *, case: Case, senior: StaffUser, outcome: SchemeOutcome, reason: str
) -> Assessment:
    """A senior analyst corrects the result of a resolved case, giving the reason.

    Criminal content in another category, or confirmed <-> not confirmed (a closed case can
    be corrected to criminal content). Settled through outcomes as a correction: a URL no
    longer confirmed leaves the list at once, a newly confirmed one goes on it. Audits
    `assessment.result_corrected` with the result before and after and the reason, plus the
    events of settling the case.
    """
    case = _lock_visible(case, senior)
    _require_senior(
        senior, case, gettext("Only a senior analyst of portal %(portal)s corrects a result.")
    )
    if case.status not in RESOLVED_STATUSES:
        raise AssessmentRefused(
            gettext(
                "Only a result that stands can be corrected, not one waiting in QA, under "
                "appeal or not yet assessed."
            )
        )
    reason = reason.strip()
    if not reason:
        raise AssessmentRefused(gettext("Give the reason for the correction."))
    kind = OutcomeKind(outcome.kind)
    if kind not in (OutcomeKind.CRIMINAL, OutcomeKind.NOT_CRIMINAL):
        raise AssessmentRefused(
            gettext("A correction makes a case criminal content in a category, or not criminal.")
        )
    category = outcome.code if kind == OutcomeKind.CRIMINAL else ""
    if case.outcome == kind and case.category == category:
        raise AssessmentRefused(gettext("The case already has that result."))
    before = {"status": case.status, "outcome": case.outcome, "category": case.category}
    correction = _new_assessment(
        case=case,
        analyst=senior,
        purpose=Purpose.CORRECTION,
        outcome=outcome,
        facts=None,
        duplicate_of=None,
        notes=reason,
    )
    actor = staff_actor(senior)
    try:
        decision = settle_case(
            case=case, result=_result_of(correction), source=Source.CORRECTION, actor=actor
        )
    except IllegalTransition as exc:
        raise AssessmentRefused(
            gettext("This result cannot be corrected that way: %(why)s") % {"why": exc}
        ) from exc
    record_event(
        actor=actor,
        action="assessment.result_corrected",
        target=correction,
        portal=case.portal.code,
        data={
            **_assessment_data(correction),
            "from": before,
            "to": {"status": decision.status.value, "outcome": kind.value, "category": category},
            "reason": reason,
        },
    )
    return correction


@audited_action
def decide_whole_domain(*, case: Case, senior: StaffUser, domain: str) -> None:
    """A senior analyst decides that the site of a confirmed case is dedicated to abuse, and
    lists `domain` whole: the case's host or one of its parents down to the registrable
    domain (never a public suffix, never another site's domain). Audits
    `assessment.whole_domain_decided`, besides outcomes' and the list's events.
    """
    case = _lock_visible(case, senior)
    _require_senior(
        senior,
        case,
        gettext("Only a senior analyst of portal %(portal)s lists a whole domain."),
    )
    if case.status != CaseStatus.CONFIRMED:
        raise AssessmentRefused(gettext("Only the domain of a confirmed case can be listed."))
    if domain not in listable_domains(case.host):
        raise AssessmentRefused(
            gettext("%(domain)s is not this case's site: choose one of the domains offered.")
            % {"domain": domain}
        )
    actor = staff_actor(senior)
    try:
        list_whole_domain(case=case, domain=domain, actor=actor)
    except NotAWebAddress as exc:
        raise AssessmentRefused(str(exc)) from exc
    record_event(
        actor=actor,
        action="assessment.whole_domain_decided",
        target=case,
        portal=case.portal.code,
        data={"domain": domain},
    )
