"""Known imagery: an image confirmed once is recognised wherever it is captured again, and the
case is confirmed without an analyst; a confirmed case's images go on the hash list, and leave
it when the confirmation is overturned."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult
from PIL import Image, ImageDraw

from hotline.audit.models import AuditEvent
from hotline.cases.actions import open_or_attach_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import OutcomeKind
from hotline.hashlist.actions import NewHash, add_hashes, remove_hashes
from hotline.hashlist.models import EntryState, HashListEntry, HashSource
from hotline.hashlist.signals import hash_image
from hotline.outcomes.actions import resolve_known_imagery, settle_case
from hotline.outcomes.decide import Result, Source
from hotline.outcomes.models import KnownImageryMatch
from hotline.outcomes.tasks import act_on_capture
from hotline.portals.models import Portal
from hotline.takedown import capture
from hotline.takedown.actions import record_capture
from hotline.takedown.models import Capture, Takedown
from hotline.urllist.models import UrlListEntry
from tests.assessment.qa_world import senior, signed_in
from tests.conftest import Analyst
from tests.world.web import noise, reencoded, scene, shapes

pytestmark = pytest.mark.django_db


def captured(data: bytes, url: str) -> capture.CapturedImage:
    hashes = hash_image(data)
    return capture.CapturedImage(
        url=url,
        md5=hashes.md5,
        sha1=hashes.sha1,
        sha256=hashes.sha256,
        pdq=hashes.pdq,
        pdq_quality=hashes.pdq_quality,
        width=hashes.width,
        height=hashes.height,
    )


def page(url: str, *images: bytes) -> capture.PageCapture:
    return capture.PageCapture(
        requested_url=url,
        final_url=url,
        status=200,
        redirects=(),
        server_ip="192.0.2.10",
        headers={},
        title="",
        images=tuple(captured(data, f"{url}i{n}.jpg") for n, data in enumerate(images)),
        skipped=(),
    )


def new_case(portal: Portal, url: str) -> Case:
    case, _ = open_or_attach_case(canonical_url=url, portal=portal, actor="public")
    return case


def capture_of(case: Case, *images: bytes) -> Capture:
    return record_capture(case=case, page=page(case.canonical_url, *images), actor="system")


def listed(signal_type: str, data: bytes) -> HashListEntry:
    hashes = hash_image(data)
    value = {"pdq": hashes.pdq, "sha256": hashes.sha256, "md5": hashes.md5}[signal_type]
    result = add_hashes(
        entries=[NewHash(signal_type, value, "A")], source=HashSource.SENIOR_PASTE, actor="senior"
    )
    return HashListEntry.objects.get(pk=(result.added or result.already_listed)[0])


def run_queued_act_on_capture() -> None:
    """Run the act_on_capture tasks the captures enqueued, as the worker would."""
    for row in DBTaskResult.objects.filter(task_path__endswith="act_on_capture"):
        act_on_capture.call(*row.args_kwargs["args"])
        row.delete()


def test_a_new_case_showing_a_listed_image_is_confirmed_without_an_analyst(tn: Portal) -> None:
    known = scene(1, (800, 600))
    entry = listed("sha256", known)
    case = new_case(tn, "http://again.example/")
    capture_of(case, shapes(5), known)

    run_queued_act_on_capture()

    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED and case.category == "A"
    (match,) = KnownImageryMatch.objects.filter(case=case)
    assert (match.entry_id, match.signal_type, match.distance) == (entry.pk, "sha256", 0)
    assert UrlListEntry.objects.filter(url="http://again.example/", removed_at=None).exists()
    assert Takedown.objects.filter(case=case).exists()
    event = AuditEvent.objects.get(action="outcomes.known_imagery_resolved")
    assert event.data["entry"] == entry.pk and event.data["distance"] == 0
    # Nobody saw the page's other picture: it does not go on the hash list with it.
    assert not HashListEntry.objects.filter(case_id=case.pk).exists()


def marked(data: bytes, side: int) -> bytes:
    """The same picture with a white square in its corner, saved again as a JPEG."""
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    ImageDraw.Draw(picture).rectangle((0, 0, side, side), fill="white")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=70)
    return out.getvalue()


def test_an_edited_copy_is_recognised_by_pdq_within_the_configured_distance(
    tn: Portal,
) -> None:
    original = scene(2, (800, 600))
    copy = marked(original, 25)
    entry = listed("pdq", original)
    case = new_case(tn, "http://copy.example/")
    taken = capture_of(case, copy)

    (match,) = resolve_known_imagery(case_id=case.pk, capture_id=taken.pk, actor="system")

    assert match.entry_id == entry.pk and match.signal_type == "pdq"
    assert 0 < match.distance <= 16
    with override_settings(HOTLINE_KNOWN_IMAGERY_PDQ_DISTANCE=match.distance - 1):
        other = new_case(tn, "http://copy-strict.example/")
        assert (
            resolve_known_imagery(
                case_id=other.pk, capture_id=capture_of(other, copy).pk, actor="system"
            )
            == []
        )
        other.refresh_from_db()
        assert other.status == CaseStatus.NEW


def test_an_unknown_image_leaves_the_case_for_an_analyst(tn: Portal) -> None:
    listed("pdq", scene(3, (800, 600)))
    listed("sha256", scene(4, (800, 600)))
    case = new_case(tn, "http://unknown.example/")
    taken = capture_of(case, scene(5, (800, 600)), noise(6))

    assert resolve_known_imagery(case_id=case.pk, capture_id=taken.pk, actor="system") == []
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    assert not AuditEvent.objects.filter(action="outcomes.known_imagery_resolved").exists()


def test_a_case_an_analyst_has_claimed_is_left_to_the_analyst(tn: Portal) -> None:
    known = scene(7, (800, 600))
    listed("sha256", known)
    case = new_case(tn, "http://claimed.example/")
    taken = capture_of(case, known)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_ASSESSMENT)

    assert resolve_known_imagery(case_id=case.pk, capture_id=taken.pk, actor="system") == []
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_ASSESSMENT


def test_a_removed_entry_no_longer_resolves_anything(tn: Portal) -> None:
    known = scene(8, (800, 600))
    entry = listed("sha256", known)
    remove_hashes(entry_ids=[entry.pk], reason="false positive", actor="senior")
    case = new_case(tn, "http://removed.example/")
    taken = capture_of(case, known)

    assert resolve_known_imagery(case_id=case.pk, capture_id=taken.pk, actor="system") == []


def test_a_low_quality_pdq_is_never_compared(tn: Portal) -> None:
    # A flat picture's PDQ has quality 0: it would "match" every other flat picture.
    flat = hash_image(noise(9, (4, 4)))
    assert flat.pdq_quality < 50
    add_hashes(
        entries=[NewHash("pdq", flat.pdq, "A")], source=HashSource.SENIOR_PASTE, actor="senior"
    )
    case = new_case(tn, "http://flat.example/")
    image = replace(captured(noise(9, (4, 4)), "http://flat.example/i.png"), sha256="0" * 64)
    taken = record_capture(
        case=case,
        page=replace(page(case.canonical_url), images=(replace(image, md5="0" * 32),)),
        actor="system",
    )

    assert resolve_known_imagery(case_id=case.pk, capture_id=taken.pk, actor="system") == []


def test_a_confirmed_case_puts_its_images_on_the_hash_list_and_an_appeal_takes_them_off(
    tn: Portal,
) -> None:
    case = new_case(tn, "http://confirmed.example/")
    big = scene(10, (800, 600))
    icon = shapes(11)  # 320 x 240: content-sized
    capture_of(case, big, icon, noise(12, (32, 32)))  # and a 32 px button
    case = Case.objects.get(pk=case.pk)
    case.status = CaseStatus.IN_ASSESSMENT  # as an analyst's claim leaves it
    case.save(update_fields=["status"])

    settle_case(
        case=case,
        result=Result(kind=OutcomeKind.CRIMINAL, category="B"),
        source=Source.ASSESSMENT,
        actor="alice",
    )

    entries = HashListEntry.objects.filter(case_id=case.pk, state=EntryState.ACTIVE)
    kinds = sorted(entries.values_list("signal_type", flat=True))
    assert kinds == ["md5", "md5", "pdq", "pdq", "sha256", "sha256"]
    assert set(entries.values_list("category", flat=True)) == {"B"}
    assert set(entries.values_list("source", flat=True)) == {HashSource.CONFIRMED_CASE}

    # A senior corrects the category: the entries follow.
    settle_case(
        case=Case.objects.get(pk=case.pk),
        result=Result(kind=OutcomeKind.CRIMINAL, category="A"),
        source=Source.CORRECTION,
        actor="senior",
    )
    assert set(entries.values_list("category", flat=True)) == {"A"}

    # The appeal is upheld: the images leave the list at once.
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPEALED)
    settle_case(
        case=Case.objects.get(pk=case.pk),
        result=Result(kind=OutcomeKind.NOT_CRIMINAL),
        source=Source.APPEAL,
        actor="senior",
    )
    assert not HashListEntry.objects.filter(case_id=case.pk, state=EntryState.ACTIVE).exists()
    assert HashListEntry.objects.filter(case_id=case.pk).count() == 6


def test_a_capture_that_arrives_after_the_confirmation_puts_its_images_on_the_list(
    tn: Portal,
) -> None:
    case = new_case(tn, "http://late.example/")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_ASSESSMENT)
    settle_case(
        case=Case.objects.get(pk=case.pk),
        result=Result(kind=OutcomeKind.CRIMINAL, category="C"),
        source=Source.ASSESSMENT,
        actor="alice",
    )
    assert not HashListEntry.objects.exists()  # nothing captured yet

    capture_of(Case.objects.get(pk=case.pk), scene(13, (800, 600)))
    run_queued_act_on_capture()

    assert HashListEntry.objects.filter(case_id=case.pk, category="C").count() == 3


def test_the_matched_case_is_known_by_the_next_capture_of_the_same_picture(tn: Portal) -> None:
    """The loop this issue closes: confirmed once, recognised everywhere after."""
    first = new_case(tn, "http://first.example/")
    picture = scene(14, (900, 700))
    capture_of(first, picture)
    Case.objects.filter(pk=first.pk).update(status=CaseStatus.IN_ASSESSMENT)
    settle_case(
        case=Case.objects.get(pk=first.pk),
        result=Result(kind=OutcomeKind.CRIMINAL, category="A"),
        source=Source.ASSESSMENT,
        actor="alice",
    )
    run_queued_act_on_capture()  # the first capture's task: the case is confirmed already

    second = new_case(tn, "http://elsewhere.example/gallery/")
    capture_of(second, reencoded(picture, quality=75))
    run_queued_act_on_capture()

    second.refresh_from_db()
    assert second.status == CaseStatus.CONFIRMED and second.category == "A"


def test_seniors_see_why_a_case_was_confirmed_without_an_analyst_and_analysts_do_not(
    tn: Portal, alice: Analyst
) -> None:
    known = scene(15, (800, 600))
    entry = listed("pdq", known)
    case = new_case(tn, "http://seen-by-seniors.example/")
    resolve_known_imagery(
        case_id=case.pk, capture_id=capture_of(case, marked(known, 20)).pk, actor="system"
    )

    page_for_senior = signed_in(senior("sam", ["tn"])).get(f"/staff/cases/{case.pk}/")
    assert page_for_senior.status_code == 200
    section = page_for_senior.content.decode()
    assert 'data-testid="known-imagery"' in section and f"#{entry.pk}" in section

    page_for_analyst = signed_in(alice).get(f"/staff/cases/{case.pk}/")
    assert page_for_analyst.status_code == 200
    assert 'data-testid="known-imagery"' not in page_for_analyst.content.decode()
