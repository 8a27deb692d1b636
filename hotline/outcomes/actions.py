"""Carrying out what outcomes/decide.py decided: the case's new status and its list effects."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from hotline.audit.actions import audited_action, record_event
from hotline.cases.actions import move_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import OutcomeKind
from hotline.hashlist.actions import (
    Added,
    NewHash,
    add_hashes,
    correct_hash_category,
    remove_case_hashes,
)
from hotline.hashlist.matching import Match, Query, match_hashes, pdq_quality_floor
from hotline.hashlist.models import EntryState, HashListEntry, HashSource
from hotline.outcomes.decide import Decision, ListEffect, Result, Source, TakedownEffect, decide
from hotline.outcomes.models import KnownImageryMatch
from hotline.takedown.actions import start_takedown, withdraw_takedown
from hotline.takedown.models import Capture, CapturedImage
from hotline.urllist.actions import (
    add_domain_to_url_list,
    add_to_url_list,
    remove_from_url_list,
)


@audited_action
def settle_case(
    *, case: Case, result: Result, source: Source, actor: str, needs_qa: bool = False
) -> Decision:
    """Give `case` the result `result` from `source`, and set its consequences in motion.

    The case moves to the decided status (refused by the states table if it may not), the
    URL list gets the decided change (added or recategorised for criminal content, removed for
    a result that overturns one), and notice and takedown starts or is withdrawn. All in the
    caller's transaction: a refused move changes nothing. Audits `outcomes.case_settled` with
    the source, the result and the decision, besides the case's and the list's own events.
    """
    decision = decide(result=result, source=source, needs_qa=needs_qa)
    duplicate_of = (
        Case.objects.get(pk=result.duplicate_of) if result.duplicate_of is not None else None
    )
    moved = move_case(
        case=case,
        to=decision.status,
        actor=actor,
        reason=source.value,
        outcome=None if needs_qa else result.kind,
        category=result.category,
        duplicate_of=duplicate_of,
        source=source.value,
    )
    portal = moved.portal.code
    if decision.url_list == ListEffect.PUT:
        add_to_url_list(
            url=moved.canonical_url,
            category=result.category,
            case_id=moved.pk,
            actor=actor,
            portal=portal,
        )
    elif decision.url_list == ListEffect.REMOVE:
        remove_from_url_list(
            url=moved.canonical_url, reason=source.value, actor=actor, portal=portal
        )
    if decision.takedown == TakedownEffect.START:
        start_takedown(case=moved, actor=actor)
    elif decision.takedown == TakedownEffect.WITHDRAW:
        withdraw_takedown(case=moved, reason=source.value, actor=actor)
    if decision.hash_list == ListEffect.PUT:
        put_case_images_on_hash_list(case=moved, category=result.category, actor=actor)
    elif decision.hash_list == ListEffect.REMOVE:
        remove_case_hashes(case_id=moved.pk, reason=source.value, actor=actor)
    record_event(
        actor=actor,
        action="outcomes.case_settled",
        target=moved,
        portal=portal,
        data={
            "source": source.value,
            "kind": result.kind.value,
            "category": result.category,
            "duplicate_of": result.duplicate_of,
            "status": decision.status.value,
            "url_list": decision.url_list.value,
            "takedown": decision.takedown.value,
            "hash_list": decision.hash_list.value,
        },
    )
    return decision


def _listable(images: Sequence[CapturedImage], *, category: str, case_id: int) -> list[NewHash]:
    """The hashes of a confirmed case's captured images that go on the hash list: SHA-256 and
    MD5 of each image big enough to be content rather than a page's furniture, and its PDQ
    when that is of a quality worth comparing."""
    floor = pdq_quality_floor()
    smallest = settings.HOTLINE_HASHLIST_MIN_IMAGE_SIDE
    hashes: list[NewHash] = []
    for image in images:
        if min(image.width, image.height) < smallest:
            continue
        kinds = [("sha256", image.sha256), ("md5", image.md5)]
        if image.pdq and image.pdq_quality >= floor:
            kinds.insert(0, ("pdq", image.pdq))
        hashes += [
            NewHash(kind, value, category, case_id=case_id, captured_image_id=image.pk)
            for kind, value in kinds
        ]
    return hashes


def _latest_capture_with_images(case: Case) -> Capture | None:
    return (
        Capture.objects.filter(case=case, image_count__gt=0).order_by("-captured_at", "-pk").first()
    )


@audited_action
def put_case_images_on_hash_list(
    *, case: Case, category: str, actor: str, capture: Capture | None = None
) -> Added | None:
    """Put the images captured at confirmed `case`'s URL on the hash list with `category`
    (from `capture`, else its latest capture with images; nothing when it has none yet: the
    capture, when it comes, puts them there). Images too small to be content and PDQ hashes
    of too low a quality are left out. Entries of this case already listed take `category`
    (a senior's correction). Audits through the hash list's own events."""
    capture = capture or _latest_capture_with_images(case)
    added = None
    if capture is not None:
        new = _listable(list(capture.images.order_by("pk")), category=category, case_id=case.pk)
        if new:
            added = add_hashes(
                entries=new,
                source=HashSource.CONFIRMED_CASE,
                actor=actor,
                note=f"case {case.pk}, capture {capture.pk}",
            )
    recategorise = HashListEntry.objects.filter(case_id=case.pk, state=EntryState.ACTIVE).exclude(
        category=category
    )
    for entry_id in recategorise.order_by("pk").values_list("pk", flat=True):
        reason = f"case {case.pk} recategorised"
        correct_hash_category(entry_id=entry_id, category=category, reason=reason, actor=actor)
    return added


def _queries(image: CapturedImage) -> list[Query]:
    queries = [Query("sha256", image.sha256), Query("md5", image.md5)]
    if image.pdq:
        queries.append(Query("pdq", image.pdq, image.pdq_quality))
    return queries


@audited_action
def resolve_known_imagery(*, case_id: int, capture_id: int, actor: str) -> list[KnownImageryMatch]:
    """Confirm a new case without an analyst when an image captured at its URL is on the hash
    list: equal by SHA-256 or MD5, or within HOTLINE_KNOWN_IMAGERY_PDQ_DISTANCE by PDQ (of a
    quality at or above the floor). Only a case still waiting in the queue (an analyst who has
    claimed it decides); the category is the closest match's. Keeps every match as the reason
    (`KnownImageryMatch`, shown to seniors), settles the case as an automatic match (URL list,
    takedown; its other images stay off the hash list) and returns the matches, or [] with
    nothing changed. Audits `outcomes.known_imagery_resolved` with the closest match."""
    case = Case.objects.select_for_update().select_related("portal").get(pk=case_id)
    if case.status != CaseStatus.NEW:
        return []
    images = list(CapturedImage.objects.filter(capture_id=capture_id, capture__case=case))
    queries = [(image, query) for image in images for query in _queries(image)]
    found = match_hashes(
        [query for _, query in queries],
        pdq_distance=settings.HOTLINE_KNOWN_IMAGERY_PDQ_DISTANCE,
        fresh=True,  # a confirmation a moment ago counts
    )
    pairs: dict[tuple[int, int], tuple[CapturedImage, Match]] = {}
    for (image, _), matches in zip(queries, found, strict=True):
        for match in matches:
            key = (image.pk, match.entry_id)
            if key not in pairs or match.distance < pairs[key][1].distance:
                pairs[key] = (image, match)
    if not pairs:
        return []
    kept = KnownImageryMatch.objects.bulk_create(
        KnownImageryMatch(
            case=case,
            image=image,
            entry_id=match.entry_id,
            signal_type=match.signal_type,
            distance=match.distance,
        )
        for image, match in sorted(pairs.values(), key=lambda p: (p[1].distance, p[1].entry_id))
    )
    closest = kept[0]
    category = pairs[(closest.image_id or 0, closest.entry_id)][1].category
    settle_case(
        case=case,
        result=Result(kind=OutcomeKind.CRIMINAL, category=category),
        source=Source.AUTOMATIC_MATCH,
        actor=actor,
    )
    record_event(
        actor=actor,
        action="outcomes.known_imagery_resolved",
        target=case,
        portal=case.portal.code,
        data={
            "entry": closest.entry_id,
            "signal_type": closest.signal_type,
            "distance": closest.distance,
            "category": category,
            "matches": len(kept),
        },
    )
    return kept


@audited_action
def list_whole_domain(*, case: Case, domain: str, actor: str) -> None:
    """Put the whole of `domain` (and every name under it) on the URL list, with the category
    of `case`: the decision that the site is dedicated to abuse, taken by an analyst on a
    confirmed case and never automatically (assessment.actions.decide_whole_domain checks
    who and which domains). Audits `outcomes.domain_listed`, besides the list's own event.
    """
    entry = add_domain_to_url_list(
        domain=domain,
        category=case.category,
        case_id=case.pk,
        actor=actor,
        portal=case.portal.code,
    )
    record_event(
        actor=actor,
        action="outcomes.domain_listed",
        target=case,
        portal=case.portal.code,
        data={"domain": entry.domain, "category": entry.category, "entry": entry.pk},
    )
